"""Snapshot the live Railway deployments of every Permitto service, and roll back to such a snapshot.

    python infra/scripts/railway_deployments.py snapshot ENVIRONMENT > previous.json
    python infra/scripts/railway_deployments.py rollback ENVIRONMENT previous.json

Uses Railway's public GraphQL API with RAILWAY_API_TOKEN and RAILWAY_PROJECT_ID. Only the standard
library, so the deploy workflow needs nothing installed for it."""

from __future__ import annotations

import json
import os
import sys
import urllib.request

API = "https://backboard.railway.com/graphql/v2"
SERVICES = ["auth", "permits", "permits-worker", "permits-scheduler", "files", "files-worker", "notifications",
            "notifications-worker", "gateway"]


def graphql(query: str, variables: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        API, data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Authorization": f"Bearer {os.environ['RAILWAY_API_TOKEN']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = json.loads(response.read())
    if body.get("errors"):
        raise SystemExit(f"Railway API error: {body['errors']}")
    return dict(body["data"])


def snapshot(environment: str) -> dict[str, str]:
    data = graphql(
        """query($project: String!) { project(id: $project) {
             services { edges { node { name deployments(first: 1, input: {status: {in: [SUCCESS]}}) {
               edges { node { id environment { name } } } } } } } } }""",
        {"project": os.environ["RAILWAY_PROJECT_ID"]},
    )
    live = {}
    for edge in data["project"]["services"]["edges"]:  # type: ignore[index]
        node = edge["node"]
        for deployment in node["deployments"]["edges"]:
            if deployment["node"]["environment"]["name"] == environment:
                live[node["name"]] = deployment["node"]["id"]
    return live


def rollback(previous: dict[str, str]) -> None:
    for service in SERVICES:
        deployment = previous.get(f"permitto-{service}")
        if deployment:
            graphql("mutation($id: String!) { deploymentRollback(id: $id) }", {"id": deployment})
            print(f"rolled back permitto-{service} to {deployment}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "snapshot":
        json.dump(snapshot(sys.argv[2]), sys.stdout, indent=2)
    elif len(sys.argv) == 4 and sys.argv[1] == "rollback":
        with open(sys.argv[3]) as handle:
            rollback(json.load(handle))
    else:
        raise SystemExit(__doc__)
