"""Stand-in endpoints for the inventory's apps and in-cluster data stores.

A rendered plan holds ztkit's own objects and policies, not the apps' pods.
The inventory says where each app runs, which labels select its pods and
which port it serves, which is all a NetworkPolicy looks at; so each app and
in-cluster data store stands in as one workload, and the policies of a plan
can be judged for what they open and close between them.
"""

from __future__ import annotations

from assessment.inventory import Application, DataStore, Inventory
from assessment.reachability.objects import Cluster, ContainerPort, Endpoint

STAND_IN_KIND = "InventoryEntry"


def inventory_endpoints(inventory: Inventory) -> list[Endpoint]:
    """One endpoint per app, and per data store that runs in the cluster."""
    entries: list[Application | DataStore] = [*inventory.applications]
    entries += [store for store in inventory.data_stores if store.namespace]
    endpoints = []
    for entry in entries:
        assert entry.namespace is not None
        endpoints.append(
            Endpoint(
                namespace=entry.namespace,
                name=entry.id,
                labels=dict(entry.selector),
                ports=(ContainerPort(entry.port),),
                kind=STAND_IN_KIND,
                source="inventory",
            )
        )
    return endpoints


def with_stand_ins(cluster: Cluster, inventory: Inventory) -> Cluster:
    """``cluster`` plus a stand-in for every inventory entry it does not run."""
    present = {endpoint.key for endpoint in cluster.endpoints}
    stand_ins = [e for e in inventory_endpoints(inventory) if e.key not in present]
    declared = [
        namespace for namespace in cluster.namespaces.values() if namespace.declared
    ]
    return Cluster.build(
        [*cluster.endpoints, *stand_ins], cluster.policies, declared, cluster.warnings
    )


def declaration_hint(inventory: Inventory, source: str, destination: str) -> str | None:
    """Which inventory entry would allow ``source`` to reach ``destination`` on
    the port the destination serves.

    Both are ``namespace/name`` keys of inventory stand-ins; ``None`` when
    either is not an inventory entry.
    """
    app = inventory.apps_by_id.get(source.partition("/")[2])
    target_id = destination.partition("/")[2]
    target = inventory.apps_by_id.get(target_id) or inventory.stores_by_id.get(
        target_id
    )
    if app is None or target is None:
        return None
    index = inventory.applications.index(app)
    return (
        f"declare it in applications[{index}] ({app.id}).depends_on: "
        f"{{target: {target.id}, port: {target.port}}}"
    )
