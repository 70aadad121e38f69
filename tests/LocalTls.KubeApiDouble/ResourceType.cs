using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble;

/// <summary>One served resource: where it lives in the API, its kind, and what it supports.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    bool Namespaced,
    bool HasStatus,
    IReadOnlyList<string> ShortNames)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public GroupVersionKind Gvk => new(Group, Version, Kind);

    /// <summary><c>deployments.apps</c>, <c>configmaps</c>: how Status messages name the resource.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary><c>Deployment.apps</c>, <c>ConfigMap</c>: how Invalid messages name the kind.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    /// <summary>
    /// Whether the server keeps <c>metadata.generation</c> for the kind: workloads, Ingress, CRDs and custom resources
    /// do; ConfigMap, Secret, Service, Namespace, PVC, Node and Event have none, as on a real server.
    /// </summary>
    public bool TracksGeneration => (Group.Length > 0 && Group != "rbac.authorization.k8s.io") || Kind == "Pod";

    /// <summary>Whether the kind has the <c>scale</c> subresource (Deployment, ReplicaSet; CRDs that declare it are not served so).</summary>
    public bool HasScale => Group == "apps" && Kind is "Deployment" or "ReplicaSet";

    public static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>The built-in kinds LocalTls renders and reads (Kubernetes 1.35).</summary>
    public static IReadOnlyList<ResourceType> BuiltIn { get; } =
    [
        new("", "v1", "Namespace", "namespaces", "namespace", false, true, ["ns"]),
        new("", "v1", "ConfigMap", "configmaps", "configmap", true, false, ["cm"]),
        new("", "v1", "Secret", "secrets", "secret", true, false, []),
        new("", "v1", "Service", "services", "service", true, true, ["svc"]),
        new("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true, true, ["pvc"]),
        new("", "v1", "Pod", "pods", "pod", true, true, ["po"]),
        new("", "v1", "Node", "nodes", "node", false, true, ["no"]),
        new("", "v1", "Event", "events", "event", true, false, ["ev"]),
        new("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", true, false, ["sa"]),
        new("apps", "v1", "Deployment", "deployments", "deployment", true, true, ["deploy"]),
        new("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, true, ["rs"]),
        new("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true, true, ["ing"]),
        new("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", false, false, []),
        // What cert-manager's static manifest also holds. The reference has no OpenAPI document for these two groups,
        // so their objects are stored and served without schema validation (see the README).
        new("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", false, false, []),
        new("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false, false, []),
        new("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", true, false, []),
        new("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", true, false, []),
        new("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", false, false, []),
        new("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", "validatingwebhookconfiguration", false, false, []),
        new("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", "customresourcedefinition", false, true, ["crd", "crds"]),
    ];

    /// <summary>The served versions of a stored CustomResourceDefinition.</summary>
    public static IEnumerable<ResourceType> FromCrd(JsonObject crd)
    {
        var spec = crd["spec"];
        var names = spec?["names"];
        if (spec is null || names is null)
        {
            yield break;
        }

        var group = (string?)spec["group"] ?? "";
        foreach (var version in spec["versions"] as JsonArray ?? [])
        {
            if (version?["served"] is JsonValue served && served.TryGetValue<bool>(out var isServed) && !isServed)
            {
                continue;
            }

            var kind = (string?)names["kind"] ?? "";
            yield return new ResourceType(
                group,
                (string?)version?["name"] ?? "",
                kind,
                (string?)names["plural"] ?? "",
                (string?)names["singular"] ?? kind.ToLowerInvariant(),
                (string?)spec["scope"] != "Cluster",
                version?["subresources"]?["status"] is not null,
                (names["shortNames"] as JsonArray)?.Select(n => (string)n!).ToList() ?? []);
        }
    }
}
