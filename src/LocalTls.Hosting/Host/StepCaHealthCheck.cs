using Aspire.Hosting.ApplicationModel;
using LocalTls.StepCa;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LocalTls.Host;

/// <summary>Healthy while the CA's step-ca on this machine answers <c>GET /health</c> with ok, over TLS that chains to its root.</summary>
internal sealed class StepCaHealthCheck(HostTarget target, StepCaResource ca) : IHealthCheck
{
    private HttpClient? _client;

    public static string Key(StepCaResource ca) => $"{ca.Name}-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (target.Get(ca) is not { Material: { } material } host)
        {
            return HealthCheckResult.Unhealthy($"step-ca '{ca.Name}' does not run on this machine.");
        }

        // Not only what answers on the port: a process that is not running is not healthy, whatever answers there.
        if (host.ProcessState is { } state && state != KnownResourceStates.Running)
        {
            return HealthCheckResult.Unhealthy($"step-ca '{ca.Name}' is not running: its process is {state}.");
        }

        _client ??= new HttpClient(StepCaExecutable.CreateHandler(material.GetRootCertificate(), primaryUrl: null, servingAddress: null)) { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await _client.GetAsync(new Uri($"https://127.0.0.1:{host.Port}/health"), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode && body.Contains("\"ok\"", StringComparison.Ordinal)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"step-ca '{ca.Name}' answered /health with {(int)response.StatusCode}: {body.Trim()}");
        }
        catch (HttpRequestException ex)
        {
            return HealthCheckResult.Unhealthy($"step-ca '{ca.Name}' is not answering on 127.0.0.1:{host.Port}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"step-ca '{ca.Name}' did not answer /health within 5 s.");
        }
    }
}
