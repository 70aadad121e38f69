using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LocalTls.Host;

/// <summary>Shows a host-mode issuer as running once its step-ca answers (in a cluster, applying it is the cluster target's job).</summary>
internal static class IssuerHost
{
    public static void Attach(IResourceBuilder<CertManagerIssuerResource> issuer)
    {
        issuer.ApplicationBuilder.Services.TryAddSingleton<StepCaHostRunner>();
        issuer.OnInitializeResource((r, e, ct) =>
        {
            if (r.Ca is not { Cluster: null } ca)
            {
                return Task.CompletedTask;
            }

            var runner = e.Services.GetRequiredService<StepCaHostRunner>();
            _ = Task.Run(async () =>
            {
                try
                {
                    var running = await runner.WaitForRunningAsync(ca, ct);
                    var directory = r.ProvisionerName is { } p ? new Uri(running.DirectoryUrl, $"/acme/{p}/directory") : running.DirectoryUrl;
                    await e.Notifications.PublishUpdateAsync(r, s => s with
                    {
                        State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                        StartTimeStamp = DateTime.UtcNow,
                        Properties = s.Properties.With(LocalTlsProperties.AcmeDirectory, directory.ToString()),
                    });
                }
                catch (InvalidOperationException ex)
                {
                    await e.Notifications.PublishUpdateAsync(r, s => s with
                    {
                        State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                        Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
                    });
                }
                catch (OperationCanceledException)
                {
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        });
    }
}

/// <summary>Wires a certificate for the host target: issuance when the app starts, and a Renew command.</summary>
internal static class CertificateHost
{
    public const string RenewCommand = "localtls-renew";

    public static void Attach(IResourceBuilder<CertificateResource> certificate)
    {
        var services = certificate.ApplicationBuilder.Services;
        services.TryAddSingleton<StepCaHostRunner>();
        services.TryAddSingleton<CertificateHostRunner>();
        certificate
            .OnInitializeResource((r, e, ct) => e.Services.GetRequiredService<CertificateHostRunner>().StartAsync(r, e, ct))
            .WithCommand(RenewCommand, "Renew", context =>
            {
                var runner = context.Services.GetRequiredService<CertificateHostRunner>();
                return Task.FromResult(runner.RequestRenewal(certificate.Resource)
                    ? CommandResults.Success()
                    : CommandResults.Failure("Only certificates issued on this machine can be renewed here; in a cluster, cert-manager renews them."));
            }, new CommandOptions
            {
                Description = "Issue a new certificate now, before its renewal time.",
                IconName = "ArrowSync",
                UpdateState = context => context.ResourceSnapshot.State?.Text is "Running" or "FailedToStart" ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            });
    }
}
