using k8s.Autorest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalTls.Cluster;

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
                var inventory = await ClusterInventory.ReadAsync(connection.Client, identity, bounded.Token);
                var deleted = await inventory.DeleteAllAsync(connection.Client, logger, bounded.Token);
                logger.LogInformation("Deleted what LocalTls created in '{Cluster}' ({Count} objects): {Objects}.", cluster.Name, deleted.Count, string.Join(", ", deleted));
                // The CoreDNS key is shared by every AppHost with WithSslipDns on this cluster (the same block); the next
                // one to start writes it again.
                if (cluster.SslipDns && await CoreDnsOverride.RemoveAsync(connection.Client, bounded.Token))
                {
                    logger.LogInformation("Removed LocalTls's key {Key} from {Namespace}/{ConfigMap} in '{Cluster}'.", CoreDnsNames.Key, CoreDnsNames.Namespace, CoreDnsNames.ConfigMap, cluster.Name);
                }
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or OperationCanceledException)
            {
                logger.LogWarning("Could not delete everything LocalTls created in '{Cluster}' ({Message}); what is left has the label {Selector}.", cluster.Name, ex.Message, ClusterInventory.Selector(identity));
            }
        }
    }
}
