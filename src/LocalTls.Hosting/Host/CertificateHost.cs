using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace LocalTls.Host;

/// <summary>Wires a certificate issued on this machine: it waits for its CA, is issued when the app starts, and has a Renew command.</summary>
internal static class CertificateHost
{
    public const string RenewCommand = "localtls-renew";

    public static void Wire(IDistributedApplicationBuilder builder, CertificateResource certificate)
    {
        builder.CreateResourceBuilder(certificate)
            // On this machine there is no Secret or namespace; the names are what matters.
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Certificate",
                State = KnownResourceStates.NotStarted,
                Properties = [new(LocalTlsProperties.DnsNames, string.Join(", ", CertificateHostRunner.Names(certificate)))],
            })
            .WithAnnotation(new WaitAnnotation(certificate.Issuer!.Ca!, WaitType.WaitUntilHealthy))
            .OnInitializeResource((r, e, ct) => e.Services.GetRequiredService<CertificateHostRunner>().StartAsync(r, e))
            .WithCommand(RenewCommand, "Renew", context =>
            {
                var runner = context.Services.GetRequiredService<CertificateHostRunner>();
                return Task.FromResult(runner.RequestRenewal(certificate)
                    ? CommandResults.Success()
                    : CommandResults.Failure($"The certificate '{certificate.Name}' is not being issued yet: wait until it runs."));
            }, new CommandOptions
            {
                Description = "Issue a new certificate now, before its renewal time.",
                IconName = "ArrowSync",
                UpdateState = context => context.ResourceSnapshot.State?.Text is "Running" or "FailedToStart" ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            });
    }
}
