"""Extensions created unbound; create_app binds them."""

from flask_migrate import Migrate

from permitto_common.database import make_db
from permitto_common.internal_http import ServiceClient
from permitto_common.security import CachingJWTManager

db = make_db()
migrate = Migrate()
jwt = CachingJWTManager()  # a token's signature is verified once per process
# The other services this one calls, bound to their URLs in create_app.
auth = ServiceClient("auth", timeout=3.0)
files = ServiceClient("files", timeout=10.0)  # a signature is checked and stored before it answers
notifications = ServiceClient("notifications", timeout=10.0)
