using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Acme;
using LocalTls.Diagnostics;
using LocalTls.Pki;
using Microsoft.Extensions.Logging;

namespace LocalTls.Host;

/// <summary>
/// Issues and renews the certificates of a host-mode step-ca with the ACME client, in the role cert-manager has in
/// a cluster, and publishes Issuing / Running / FailedToStart with the ACME problem.
/// </summary>
internal sealed class CertificateHostRunner(StepCaHostRunner cas) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<CertificateResource, SemaphoreSlim> _renewNow = [];

    /// <summary>Starts issuing when the resource initializes; renews at two thirds of the lifetime, or on the Renew command.</summary>
    public Task StartAsync(CertificateResource certificate, InitializeResourceEvent e, CancellationToken cancellationToken)
    {
        if (certificate.Issuer?.Ca is not { Cluster: null } ca)
        {
            return Task.CompletedTask;
        }

        var renew = new SemaphoreSlim(0);
        lock (_renewNow)
        {
            _renewNow[certificate] = renew;
        }

        _ = Task.Run(() => LoopAsync(certificate, ca, renew, e), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Renews now; for the dashboard's Renew command.</summary>
    public bool RequestRenewal(CertificateResource certificate)
    {
        lock (_renewNow)
        {
            if (!_renewNow.TryGetValue(certificate, out var renew))
            {
                return false;
            }

            renew.Release();
            return true;
        }
    }

    private async Task LoopAsync(CertificateResource certificate, StepCaResource ca, SemaphoreSlim renew, InitializeResourceEvent e)
    {
        var stopping = _stopping.Token;
        try
        {
            await e.Notifications.PublishUpdateAsync(certificate, s => s with { State = new ResourceStateSnapshot(KnownResourceStates.Waiting, KnownResourceStateStyles.Info) });
            var running = await cas.WaitForRunningAsync(ca, stopping);
            while (!stopping.IsCancellationRequested)
            {
                var wait = await IssueAsync(certificate, ca, running, e, stopping);
                e.Logger.LogInformation("Next renewal in {Wait}.", wait);
                await renew.WaitAsync(wait, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (InvalidOperationException ex)
        {
            // The CA never came up: its own state says why.
            e.Logger.LogError("{Message}", ex.Message);
            await e.Notifications.PublishUpdateAsync(certificate, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
            });
        }
    }

    private static async Task<TimeSpan> IssueAsync(CertificateResource certificate, StepCaResource ca, HostCa running, InitializeResourceEvent e, CancellationToken stopping)
    {
        var names = certificate.Hostnames.Select(h => h.Hostname!).Concat(certificate.DnsNames).Distinct().ToList();
        await e.Notifications.PublishUpdateAsync(certificate, s => s with
        {
            State = new ResourceStateSnapshot("Issuing", KnownResourceStateStyles.Info),
            Properties = s.Properties.With(LocalTlsProperties.DnsNames, string.Join(", ", names)).With(LocalTlsProperties.Problem, null),
        });
        try
        {
            IAcmeChallengeSolver solver = certificate.Challenge == AcmeChallengeTypes.Http01
                ? Http01ChallengeServer.Start()
                : new Dns01ChallengeSolver(running.Dns ?? throw new InvalidOperationException($"dns-01 needs the CA's DNS responder, and '{ca.Name}' has none."));
            AcmeCertificate issued;
            try
            {
                issued = await AcmeIssuer.IssueAsync(names, solver, new AcmeIssueOptions
                {
                    DirectoryUrl = running.DirectoryUrl,
                    Client = new AcmeClientOptions { TrustedRootsPem = running.Material.RootCertificatePem },
                    CaRoot = new CaStore(ca.CaStoreDirectory).Directory,
                    Lifetime = certificate.Duration,
                }, stopping);
            }
            finally
            {
                if (solver is IAsyncDisposable disposable)
                {
                    await disposable.DisposeAsync();
                }
            }

            var directory = certificate.HostDirectory!;
            AtomicFiles.WriteAll(
            [
                new(Path.Combine(directory, "tls.crt"), issued.CertificateChainPem),
                new(Path.Combine(directory, "tls.key"), issued.PrivateKeyPem, Secret: true),
                new(Path.Combine(directory, "ca.crt"), running.Material.RootCertificatePem),
            ], $"the certificate '{certificate.Name}'");

            using var leaf = issued.GetCertificate();
            var lifetime = leaf.NotAfter.ToUniversalTime() - leaf.NotBefore.ToUniversalTime();
            // Renew at two thirds of the lifetime, as cert-manager does by default, unless renewBefore says otherwise.
            var renewAt = leaf.NotAfter.ToUniversalTime() - (certificate.RenewBefore ?? lifetime / 3);
            e.Logger.LogInformation("Issued {Names} over {Challenge}, valid until {NotAfter:u}, serial {Serial}.", string.Join(", ", names), issued.ChallengeType, leaf.NotAfter.ToUniversalTime(), leaf.SerialNumber);
            await e.Notifications.PublishUpdateAsync(certificate, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                StartTimeStamp = s.StartTimeStamp ?? DateTime.UtcNow,
                Properties = s.Properties
                    .With(LocalTlsProperties.NotAfter, leaf.NotAfter.ToUniversalTime().ToString("u"))
                    .With(LocalTlsProperties.RenewalTime, renewAt.ToString("u"))
                    .With(LocalTlsProperties.Serial, leaf.SerialNumber)
                    .With(LocalTlsProperties.Files, directory),
            });
            var wait = renewAt - DateTime.UtcNow;
            return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
        }
        catch (Exception ex) when (ex is AcmeException or IOException or ArgumentException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            e.Logger.LogError("{Message}", ex.Message);
            await e.Notifications.PublishUpdateAsync(certificate, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
            });
            return TimeSpan.FromSeconds(30);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }
}
