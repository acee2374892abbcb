"""The notifications service passes the contract every service passes."""

from devstack.service_contract import *  # noqa: F403
