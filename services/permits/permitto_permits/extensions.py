"""Extensions created unbound; create_app binds them."""

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate

from permitto_common.database import make_db

db = make_db()
migrate = Migrate()
jwt = JWTManager()
