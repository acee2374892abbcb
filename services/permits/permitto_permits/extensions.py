"""Extensions created unbound; create_app binds them."""

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate

from permitto_common.database import make_db
from permitto_common.internal_http import ServiceClient

db = make_db()
migrate = Migrate()
jwt = JWTManager()
# The other services this one calls, bound to their URLs in create_app.
auth = ServiceClient("auth", timeout=3.0)
files = ServiceClient("files", timeout=10.0)  # a signature is checked and stored before it answers
notifications = ServiceClient("notifications", timeout=10.0)
