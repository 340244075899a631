"""NetworkPolicy reachability: if this pod is breached, what can it reach?

The package reads Kubernetes manifests (namespaces, pods, workloads and
NetworkPolicies), applies the NetworkPolicy specification to them and answers
which workload can open a connection to which other workload, on which port.

- ``objects`` reads the manifests into a :class:`~assessment.reachability.objects.Cluster`;
- ``selectors`` and ``policy`` hold the specification, and ``policy`` the
  pair-by-pair reference evaluator;
- ``matrix`` is the fast evaluator over groups of identical pods;
- ``ports`` enumerates the port classes a diff or an exposure report examines;
- ``diff`` and ``exposure`` build the two reports on top of the matrix.
"""
