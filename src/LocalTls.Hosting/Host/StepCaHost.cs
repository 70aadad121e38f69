using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LocalTls.Host;

/// <summary>Wires a step-ca for the host target: its DNS responder, start-up and health check.</summary>
internal static class StepCaHost
{
    public const string RestartCommand = "localtls-restart";

    public static void Attach(IResourceBuilder<StepCaResource> ca)
    {
        var builder = ca.ApplicationBuilder;
        builder.Services.TryAddSingleton<StepCaHostRunner>();
        var dns = new SslipDnsResource($"{ca.Resource.Name}-dns");
        ca.Resource.Dns = dns;
        LocalTlsResources.Add(builder, dns, "SslipDns", "Globe", [])
            .WithParentRelationship(ca.Resource)
            .OnInitializeResource((r, e, ct) => e.Services.GetRequiredService<StepCaHostRunner>().StartDnsAsync(r, e, ct));

        var healthKey = $"{ca.Resource.Name}-health";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthKey, services => new StepCaHealthCheck(services.GetRequiredService<StepCaHostRunner>(), ca.Resource), failureStatus: null, tags: null));
        ca.WithHealthCheck(healthKey)
            .WithCommand(RestartCommand, "Restart", async context =>
                await context.Services.GetRequiredService<StepCaHostRunner>().RestartAsync(ca.Resource, context.CancellationToken)
                    ? CommandResults.Success()
                    : CommandResults.Failure($"step-ca '{ca.Resource.Name}' did not start again: see its log."), new CommandOptions
            {
                Description = "Stop step-ca if it runs and start it again on the same port, with the same data.",
                IconName = "ArrowClockwise",
                UpdateState = context => context.ResourceSnapshot.State?.Text is "Running" or "Exited" or "FailedToStart" ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            })
            .OnInitializeResource((r, e, ct) =>
            {
                if (r.Cluster is not null)
                {
                    return Task.CompletedTask;
                }

                return e.Services.GetRequiredService<StepCaHostRunner>().StartCaAsync(r, e, ct);
            });
    }

    /// <summary>A step-ca placed in a cluster needs no host DNS responder and no host health check.</summary>
    public static void Detach(IResourceBuilder<StepCaResource> ca)
    {
        if (ca.Resource.Dns is { } dns)
        {
            ca.ApplicationBuilder.Resources.Remove(dns);
            ca.Resource.Dns = null;
        }

        foreach (var annotation in ca.Resource.Annotations
            .Where(a => a is HealthCheckAnnotation || a is ResourceCommandAnnotation { Name: RestartCommand }).ToList())
        {
            ca.Resource.Annotations.Remove(annotation);
        }
    }
}

/// <summary>Healthy while the host step-ca answers <c>GET /health</c> with ok.</summary>
internal sealed class StepCaHealthCheck(StepCaHostRunner runner, StepCaResource ca) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        runner.TryGetRunning(ca, out var process) && await process.IsHealthyAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"step-ca '{ca.Name}' is not answering /health.");
}
