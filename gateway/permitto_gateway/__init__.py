"""The gateway: the one public entry. Routing, auth at the edge, limits, CORS, request ids, docs."""
