"""Extensions created unbound; create_app binds them."""

from flask_migrate import Migrate

from permitto_common.database import make_db
from permitto_common.security import CachingJWTManager

db = make_db()
migrate = Migrate()
jwt = CachingJWTManager()  # a token's signature is verified once per process
