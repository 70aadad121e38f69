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
                Properties = [SnapshotProperties.Property(LocalTlsProperties.DnsNames, string.Join(", ", CertificateHostRunner.Names(certificate)))],
            })
            .WithAnnotation(new WaitAnnotation(certificate.Issuer!.Ca!, WaitType.WaitUntilHealthy))
            .OnInitializeResource((r, e, ct) => e.Services.GetRequiredService<CertificateHostRunner>().StartAsync(r, e))
            .WithCommand(RenewCommand, "Renew", async context =>
            {
                // The result is the renewal's own: no "succeeded" while the certificate turns failed.
                var runner = context.Services.GetRequiredService<CertificateHostRunner>();
                var (started, problem) = await runner.RenewAsync(certificate, context.CancellationToken);
                return !started
                    ? CommandResults.Failure($"The certificate '{certificate.Name}' is not being issued yet: wait until it runs.")
                    : problem is null ? CommandResults.Success($"'{certificate.Name}' was issued again.") : CommandResults.Failure(problem);
            }, new CommandOptions
            {
                Description = "Issue a new certificate now, before its renewal time.",
                IconName = "ArrowSync",
                UpdateState = context => context.ResourceSnapshot.State?.Text is "Running" or "FailedToStart" or CertificateHostRunner.RenewalFailing ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            });
    }
}
