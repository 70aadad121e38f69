using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LocalTls.Host;

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
