using Aspire.Hosting.ApplicationModel;
using k8s;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LocalTls.Cluster;

/// <summary>Healthy while the API server answers <c>/readyz</c> with ok.</summary>
internal sealed class ClusterHealthCheck(ClusterTarget target, KubeconfigClusterResource cluster) : IHealthCheck
{
    public static string Key(KubeconfigClusterResource cluster) => $"{cluster.Name}-readyz";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (target.Connection(cluster)?.Client is not Kubernetes client)
        {
            return HealthCheckResult.Unhealthy($"The cluster '{cluster.Name}' is not connected.");
        }

        try
        {
            using var response = await KubernetesHttp.GetAsync(client, "readyz", HttpCompletionOption.ResponseContentRead, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"/readyz answered {(int)response.StatusCode}: {body.Trim()}");
        }
        catch (HttpRequestException ex)
        {
            return HealthCheckResult.Unhealthy($"The API server is not answering: {ex.Message}");
        }
    }
}
