using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.StepCa;
using Microsoft.Extensions.Logging;

namespace LocalTls.Cluster;

/// <summary>
/// This AppHost's objects as they are in the cluster, read once per apply pass with one list per kind we render. An
/// object is this AppHost's when it carries <c>app.kubernetes.io/managed-by=localtls</c> and
/// <c>app.kubernetes.io/part-of={identity}</c>. It tells which rendered objects are applied already (so an unchanged
/// re-run sends no write at all) and which of ours left the model.
/// </summary>
internal sealed class ClusterInventory
{
    /// <summary>The annotation with the hash of what LocalTls last applied: a field dropped from the model changes it, so the object is applied again.</summary>
    public const string AppliedAnnotation = "localtls.io/applied";

    private sealed record Kind(string Name, Func<IKubernetes, string, CancellationToken, Task<IEnumerable<JsonObject>>> List, Func<IKubernetes, string?, string, CancellationToken, Task> Delete);

    // Dependents before what they depend on: certificates and ingresses before issuers, the Deployment before its volumes, the Namespace last.
    private static readonly Kind[] Kinds =
    [
        Custom("Certificate", "cert-manager.io", "certificates", namespaced: true),
        new("Ingress", async (c, s, ct) => Json((await c.NetworkingV1.ListIngressForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.NetworkingV1.DeleteNamespacedIngressAsync(n, ns, cancellationToken: ct)),
        Custom("Issuer", "cert-manager.io", "issuers", namespaced: true),
        Custom("ClusterIssuer", "cert-manager.io", "clusterissuers", namespaced: false),
        new("Deployment", async (c, s, ct) => Json((await c.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.AppsV1.DeleteNamespacedDeploymentAsync(n, ns, propagationPolicy: "Background", cancellationToken: ct)),
        new("Service", async (c, s, ct) => Json((await c.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedServiceAsync(n, ns, cancellationToken: ct)),
        new("PersistentVolumeClaim", async (c, s, ct) => Json((await c.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(n, ns, cancellationToken: ct)),
        new("Secret", async (c, s, ct) => Json((await c.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedSecretAsync(n, ns, cancellationToken: ct)),
        new("ConfigMap", async (c, s, ct) => Json((await c.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedConfigMapAsync(n, ns, cancellationToken: ct)),
        new("Namespace", async (c, s, ct) => Json((await c.CoreV1.ListNamespaceAsync(labelSelector: s, cancellationToken: ct)).Items), (c, _, n, ct) => c.CoreV1.DeleteNamespaceAsync(n, cancellationToken: ct)),
    ];

    private readonly List<(Kind Kind, string? Namespace, string Name, JsonObject Live)> objects;

    private ClusterInventory(string identity, List<(Kind, string?, string, JsonObject)> objects)
    {
        Identity = identity;
        this.objects = objects;
    }

    public string Identity { get; }

    /// <summary>The label selector for one AppHost's objects.</summary>
    public static string Selector(string identity) => $"{ClusterManifests.ManagedByLabel}={StepCaKubernetesRenderer.ManagedBy},{ClusterManifests.PartOfLabel}={identity}";

    /// <summary>Lists this AppHost's objects of every kind LocalTls renders, in all namespaces and cluster-scoped.</summary>
    public static async Task<ClusterInventory> ReadAsync(IKubernetes client, string identity, CancellationToken cancellationToken)
    {
        var found = new List<(Kind, string?, string, JsonObject)>();
        foreach (var kind in Kinds)
        {
            try
            {
                found.AddRange((await kind.List(client, Selector(identity), cancellationToken)).Select(o => (kind, (string?)o["metadata"]?["namespace"], (string)o["metadata"]!["name"]!, o)));
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // cert-manager's CRDs are not installed: nothing of that kind can exist.
            }
        }

        return new ClusterInventory(identity, found);
    }

    /// <summary>The object as LocalTls applies it: the rendered object with the hash of itself in <see cref="AppliedAnnotation"/>.</summary>
    public static JsonObject ToApply(IKubernetesObject obj)
    {
        var json = ClusterConnector.ToJson(obj);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString())))[..16];
        var metadata = json["metadata"]!.AsObject();
        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = new JsonObject();
        }

        annotations[AppliedAnnotation] = hash;
        return json;
    }

    /// <summary>
    /// Whether applying <paramref name="toApply"/> would change nothing: the live object carries the same applied hash
    /// (the model did not change) and every field LocalTls sets still has its value (nobody changed them since).
    /// </summary>
    public bool IsCurrent(JsonObject toApply)
    {
        var key = Key((string)toApply["kind"]!, (string?)toApply["metadata"]?["namespace"], (string)toApply["metadata"]!["name"]!);
        var live = objects.FirstOrDefault(o => Key(o.Kind.Name, o.Namespace, o.Name) == key).Live;
        if (live is null)
        {
            return false;
        }

        var body = toApply.DeepClone().AsObject();
        // Lists of built-in kinds carry no apiVersion/kind on their items.
        body.Remove("apiVersion");
        body.Remove("kind");
        return Contains(live, body);
    }

    /// <summary>Deletes this AppHost's objects that are not among <paramref name="rendered"/>; returns what was deleted (<c>Kind namespace/name</c>).</summary>
    public Task<IReadOnlyList<string>> PruneAsync(IKubernetes client, IEnumerable<IKubernetesObject> rendered, ILogger logger, CancellationToken cancellationToken)
    {
        var keep = rendered.Select(o => ClusterConnector.ToJson(o)).Select(j => Key((string)j["kind"]!, (string?)j["metadata"]!["namespace"], (string)j["metadata"]!["name"]!)).ToHashSet(StringComparer.Ordinal);
        return DeleteAsync(client, keep, logger, cancellationToken);
    }

    /// <summary>Deletes all of this AppHost's objects; returns what was deleted.</summary>
    public Task<IReadOnlyList<string>> DeleteAllAsync(IKubernetes client, ILogger logger, CancellationToken cancellationToken) =>
        DeleteAsync(client, new HashSet<string>(StringComparer.Ordinal), logger, cancellationToken);

    private async Task<IReadOnlyList<string>> DeleteAsync(IKubernetes client, HashSet<string> keep, ILogger logger, CancellationToken cancellationToken)
    {
        var deleted = new List<string>();
        foreach (var (kind, ns, name, _) in objects.Where(o => !keep.Contains(Key(o.Kind.Name, o.Namespace, o.Name))))
        {
            if (kind.Name == "Namespace" && await OtherContentAsync(client, name, cancellationToken) is { } other)
            {
                logger.LogInformation("Kept the namespace '{Namespace}': it still holds {Other}.", name, other);
                continue;
            }

            try
            {
                await kind.Delete(client, ns, name, cancellationToken);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Gone already (deleted by someone else): what was asked for.
            }
            catch (System.Text.Json.JsonException)
            {
                // Deleted: a server answers a delete with the object or with a Status, and the typed client reads only the former.
            }

            deleted.Add(Key(kind.Name, ns, name));
        }

        return deleted;
    }

    /// <summary>The first thing in the namespace that is not this AppHost's, or <see langword="null"/> when it holds nothing else.</summary>
    private async Task<string?> OtherContentAsync(IKubernetes client, string ns, CancellationToken cancellationToken)
    {
        static string? Label(V1ObjectMeta meta, string key) => meta.Labels is { } labels && labels.TryGetValue(key, out var v) ? v : null;
        bool Ours(V1ObjectMeta meta) =>
            Label(meta, ClusterManifests.ManagedByLabel) == StepCaKubernetesRenderer.ManagedBy
            && (Label(meta, ClusterManifests.PartOfLabel) == Identity
                // step-ca's pods carry the Deployment's template labels, which name the CA but not the AppHost.
                || meta.OwnerReferences?.Any(o => o.Kind == "ReplicaSet") == true);
        var candidates = new List<(string Kind, V1ObjectMeta Meta)>();
        candidates.AddRange((await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken)).Items.Select(i => ("Pod", i.Metadata)));
        candidates.AddRange((await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: cancellationToken)).Items.Select(i => ("Deployment", i.Metadata)));
        candidates.AddRange((await client.CoreV1.ListNamespacedServiceAsync(ns, cancellationToken: cancellationToken)).Items.Select(i => ("Service", i.Metadata)));
        candidates.AddRange((await client.CoreV1.ListNamespacedSecretAsync(ns, cancellationToken: cancellationToken)).Items.Select(i => ("Secret", i.Metadata)));
        candidates.AddRange((await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, cancellationToken: cancellationToken)).Items.Select(i => ("PersistentVolumeClaim", i.Metadata)));
        // Every namespace gets kube-root-ca.crt from the cluster itself.
        candidates.AddRange((await client.CoreV1.ListNamespacedConfigMapAsync(ns, cancellationToken: cancellationToken)).Items.Where(i => i.Metadata.Name != "kube-root-ca.crt").Select(i => ("ConfigMap", i.Metadata)));
        candidates.AddRange((await client.NetworkingV1.ListNamespacedIngressAsync(ns, cancellationToken: cancellationToken)).Items.Select(i => ("Ingress", i.Metadata)));
        var other = candidates.FirstOrDefault(c => !Ours(c.Meta));
        return other.Meta is null ? null : $"{other.Kind} {other.Meta.Name}";
    }

    /// <summary>Every field of <paramref name="expected"/> has the same value in <paramref name="live"/> (which may have more: defaults, status, managedFields).</summary>
    private static bool Contains(JsonNode? live, JsonNode? expected) => (live, expected) switch
    {
        (_, null) => live is null,
        (JsonObject l, JsonObject e) => e.All(p => l.TryGetPropertyValue(p.Key, out var v) ? Contains(v, p.Value) : p.Value is null),
        (JsonArray l, JsonArray e) => l.Count == e.Count && e.Select((item, i) => Contains(l[i], item)).All(b => b),
        (JsonValue l, JsonValue e) => l.ToJsonString() == e.ToJsonString(),
        _ => false,
    };

    private static Kind Custom(string kind, string group, string plural, bool namespaced) => new(
        kind,
        async (c, s, ct) => (JsonNode.Parse(KubernetesJson.Serialize(await c.CustomObjects.ListClusterCustomObjectAsync(group, "v1", plural, labelSelector: s, cancellationToken: ct)))?["items"] as JsonArray ?? []).OfType<JsonObject>().ToList(),
        (c, ns, n, ct) => namespaced
            ? c.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", ns, plural, n, cancellationToken: ct)
            : c.CustomObjects.DeleteClusterCustomObjectAsync(group, "v1", plural, n, cancellationToken: ct));

    private static IEnumerable<JsonObject> Json<T>(IEnumerable<T> items) => items.Select(i => JsonNode.Parse(KubernetesJson.Serialize(i))!.AsObject()).ToList();

    private static string Key(string kind, string? ns, string name) => ns is null ? $"{kind} {name}" : $"{kind} {ns}/{name}";
}
