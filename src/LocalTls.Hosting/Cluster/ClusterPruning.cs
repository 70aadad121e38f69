using System.Net;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.StepCa;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalTls.Cluster;

/// <summary>
/// Deletes this AppHost's objects that left the model (after each apply pass), or all of them (on stop, when asked).
/// An object is this AppHost's when it carries <c>app.kubernetes.io/managed-by=localtls</c> and
/// <c>app.kubernetes.io/part-of={identity}</c>: another AppHost's objects in the same cluster, and anything without
/// both labels, are never touched. A Namespace is deleted only when nothing else is left in it, since deleting a
/// Namespace deletes whatever lives there.
/// </summary>
internal static class ClusterPruning
{
    private sealed record Kind(string Name, Func<IKubernetes, string, CancellationToken, Task<IEnumerable<(string? Namespace, string Name)>>> List, Func<IKubernetes, string?, string, CancellationToken, Task> Delete);

    // Dependents before what they depend on: certificates and ingresses before issuers, the Deployment before its volumes, the Namespace last.
    private static readonly Kind[] Kinds =
    [
        Custom("Certificate", "cert-manager.io", "certificates", namespaced: true),
        new("Ingress", async (c, s, ct) => Names((await c.NetworkingV1.ListIngressForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.NetworkingV1.DeleteNamespacedIngressAsync(n, ns, cancellationToken: ct)),
        Custom("Issuer", "cert-manager.io", "issuers", namespaced: true),
        Custom("ClusterIssuer", "cert-manager.io", "clusterissuers", namespaced: false),
        new("Deployment", async (c, s, ct) => Names((await c.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.AppsV1.DeleteNamespacedDeploymentAsync(n, ns, propagationPolicy: "Background", cancellationToken: ct)),
        new("Service", async (c, s, ct) => Names((await c.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedServiceAsync(n, ns, cancellationToken: ct)),
        new("PersistentVolumeClaim", async (c, s, ct) => Names((await c.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(n, ns, cancellationToken: ct)),
        new("Secret", async (c, s, ct) => Names((await c.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedSecretAsync(n, ns, cancellationToken: ct)),
        new("ConfigMap", async (c, s, ct) => Names((await c.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: s, cancellationToken: ct)).Items), (c, ns, n, ct) => c.CoreV1.DeleteNamespacedConfigMapAsync(n, ns, cancellationToken: ct)),
        new("Namespace", async (c, s, ct) => Names((await c.CoreV1.ListNamespaceAsync(labelSelector: s, cancellationToken: ct)).Items), (c, _, n, ct) => c.CoreV1.DeleteNamespaceAsync(n, cancellationToken: ct)),
    ];

    /// <summary>The label selector for one AppHost's objects.</summary>
    public static string Selector(string identity) => $"{ClusterManifests.ManagedByLabel}={StepCaKubernetesRenderer.ManagedBy},{ClusterManifests.PartOfLabel}={identity}";

    /// <summary>Deletes this AppHost's objects that are not among <paramref name="rendered"/>; returns what was deleted (<c>Kind namespace/name</c>).</summary>
    public static Task<IReadOnlyList<string>> PruneAsync(IKubernetes client, string identity, IEnumerable<IKubernetesObject> rendered, ILogger logger, CancellationToken cancellationToken)
    {
        var keep = rendered.Select(o => ClusterConnector.ToJson(o)).Select(j => Key((string)j["kind"]!, (string?)j["metadata"]!["namespace"], (string)j["metadata"]!["name"]!)).ToHashSet(StringComparer.Ordinal);
        return DeleteAsync(client, identity, keep, logger, cancellationToken);
    }

    /// <summary>Deletes all of this AppHost's objects; returns what was deleted.</summary>
    public static Task<IReadOnlyList<string>> DeleteAllAsync(IKubernetes client, string identity, ILogger logger, CancellationToken cancellationToken) =>
        DeleteAsync(client, identity, new HashSet<string>(StringComparer.Ordinal), logger, cancellationToken);

    private static async Task<IReadOnlyList<string>> DeleteAsync(IKubernetes client, string identity, HashSet<string> keep, ILogger logger, CancellationToken cancellationToken)
    {
        var selector = Selector(identity);
        var deleted = new List<string>();
        foreach (var kind in Kinds)
        {
            IEnumerable<(string? Namespace, string Name)> found;
            try
            {
                found = await kind.List(client, selector, cancellationToken);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // cert-manager's CRDs are not installed: nothing of that kind can exist.
                continue;
            }

            foreach (var (ns, name) in found.Where(f => !keep.Contains(Key(kind.Name, f.Namespace, f.Name))))
            {
                if (kind.Name == "Namespace" && await OtherContentAsync(client, name, identity, cancellationToken) is { } other)
                {
                    logger.LogInformation("Kept the namespace '{Namespace}' that left the model: it still holds {Other}.", name, other);
                    continue;
                }

                try
                {
                    await kind.Delete(client, ns, name, cancellationToken);
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    // Gone already (deleted with its namespace, or by someone else): what was asked for.
                }

                deleted.Add(Key(kind.Name, ns, name));
            }
        }

        return deleted;
    }

    /// <summary>The first thing in the namespace that is not this AppHost's, or <see langword="null"/> when it holds nothing else.</summary>
    private static async Task<string?> OtherContentAsync(IKubernetes client, string ns, string identity, CancellationToken cancellationToken)
    {
        static string? Label(V1ObjectMeta meta, string key) => meta.Labels is { } labels && labels.TryGetValue(key, out var v) ? v : null;
        bool Ours(V1ObjectMeta meta) =>
            Label(meta, ClusterManifests.ManagedByLabel) == StepCaKubernetesRenderer.ManagedBy
            && (Label(meta, ClusterManifests.PartOfLabel) == identity
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

    private static Kind Custom(string kind, string group, string plural, bool namespaced) => new(
        kind,
        async (c, s, ct) =>
        {
            var list = JsonNode.Parse(KubernetesJson.Serialize(await c.CustomObjects.ListClusterCustomObjectAsync(group, "v1", plural, labelSelector: s, cancellationToken: ct)));
            return (list?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(i => ((string?)i["metadata"]?["namespace"], (string)i["metadata"]!["name"]!)).ToList();
        },
        (c, ns, n, ct) => namespaced
            ? c.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", ns, plural, n, cancellationToken: ct)
            : c.CustomObjects.DeleteClusterCustomObjectAsync(group, "v1", plural, n, cancellationToken: ct));

    private static IEnumerable<(string? Namespace, string Name)> Names<T>(IEnumerable<T> items)
        where T : IMetadata<V1ObjectMeta> => items.Select(i => ((string?)i.Metadata.NamespaceProperty, i.Metadata.Name)).ToList();

    private static string Key(string kind, string? ns, string name) => ns is null ? $"{kind} {name}" : $"{kind} {ns}/{name}";
}

/// <summary>
/// <see cref="Aspire.Hosting.KubeconfigClusterBuilderExtensions.WithCleanupOnStop"/>: when the AppHost stops, deletes what LocalTls
/// created in each cluster that asked for it. A hosted service, because the host awaits <see cref="StopAsync"/> (up to
/// its shutdown timeout), where an <c>ApplicationStopping</c> callback would not be waited for.
/// </summary>
internal sealed class ClusterCleanup(ClusterTarget target, ILogger<ClusterCleanup> logger) : IHostedService
{
    /// <summary>How long the deletes may take at most, so a cluster that went away does not hold up the AppHost's exit.</summary>
    internal static TimeSpan Bound { get; set; } = TimeSpan.FromSeconds(20);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Bound);
        foreach (var (cluster, connection) in target.Connected().Where(c => c.Cluster.CleanupOnStop))
        {
            if (cluster.AppIdentity is not { } identity)
            {
                continue;
            }

            try
            {
                // Provisioning stops with the app; let it end first, so that nothing is applied after the deletes.
                await target.RunOf(cluster).WaitAsync(bounded.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                var deleted = await ClusterPruning.DeleteAllAsync(connection.Client, identity, logger, bounded.Token);
                logger.LogInformation("Deleted what LocalTls created in '{Cluster}' ({Count} objects): {Objects}.", cluster.Name, deleted.Count, string.Join(", ", deleted));
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or OperationCanceledException)
            {
                logger.LogWarning("Could not delete everything LocalTls created in '{Cluster}' ({Message}); what is left has the label {Selector}.", cluster.Name, ex.Message, ClusterPruning.Selector(identity));
            }
        }
    }
}
