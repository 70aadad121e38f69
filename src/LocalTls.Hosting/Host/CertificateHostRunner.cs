using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Acme;
using LocalTls;
using LocalTls.Pki;
using Microsoft.Extensions.Logging;

namespace LocalTls.Host;

/// <summary>
/// Issues and renews the certificates of a host-mode step-ca with the ACME client, in the role cert-manager has in
/// a cluster, and publishes Issuing / Running / FailedToStart with the ACME problem.
/// </summary>
internal sealed class CertificateHostRunner(HostTarget cas) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<CertificateResource, SemaphoreSlim> _renewNow = [];

    /// <summary>Starts issuing when the resource initializes; renews at two thirds of the lifetime, or on the Renew command.</summary>
    public Task StartAsync(CertificateResource certificate, InitializeResourceEvent e)
    {
        var ca = certificate.Issuer!.Ca!;
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
            await e.Notifications.WaitForDependenciesAsync(certificate, stopping);
            var running = cas.Get(ca) ?? throw new InvalidOperationException($"The step-ca '{ca.Name}' does not run on this machine.");
            var reuse = true;
            while (!stopping.IsCancellationRequested)
            {
                var wait = (reuse ? await ReuseAsync(certificate, running, e) : null) ?? await IssueAsync(certificate, ca, running, e, stopping);
                reuse = false;
                e.Logger.LogInformation("Next renewal in {Wait}.", wait);
                await renew.WaitAsync(wait, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Every failure ends in a visible state (the CA never came up, an unexpected error reading files).
            e.Logger.LogError("{Message}", ex.Message);
            await e.Notifications.PublishUpdateAsync(certificate, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
            });
        }
    }

    /// <summary>
    /// Keeps the certificate already on disk when it still chains to this CA, covers the names and is before its
    /// renewal time, so restarting the app does not issue again. Returns the wait until renewal, or null to issue.
    /// </summary>
    private static async Task<TimeSpan?> ReuseAsync(CertificateResource certificate, HostCa running, InitializeResourceEvent e)
    {
        var directory = certificate.HostDirectory!;
        var crt = Path.Combine(directory, "tls.crt");
        var key = Path.Combine(directory, "tls.key");
        if (!File.Exists(crt) || !File.Exists(key))
        {
            return null;
        }

        try
        {
            using var leaf = X509Certificate2.CreateFromPemFile(crt, key);
            var names = Names(certificate);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(running.Material!.GetRootCertificate());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            var extra = new X509Certificate2Collection();
            extra.ImportFromPemFile(crt);
            chain.ChainPolicy.ExtraStore.AddRange(extra);
            var renewAt = RenewalTime(certificate, leaf);
            if (!chain.Build(leaf) || !names.All(n => leaf.MatchesHostname(n, allowWildcards: true, allowCommonName: false)) || DateTime.UtcNow >= renewAt)
            {
                e.Logger.LogInformation("The certificate in {Directory} is expired, due for renewal, for other names or from another CA: issuing a new one.", directory);
                return null;
            }

            e.Logger.LogInformation("Reusing the certificate in {Directory}, valid until {NotAfter:u}.", directory, leaf.NotAfter.ToUniversalTime());
            await PublishReadyAsync(certificate, e, leaf, renewAt, directory);
            return renewAt - DateTime.UtcNow;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static List<string> Names(CertificateResource certificate) =>
        [.. certificate.Hostnames.Select(h => h.Hostname!).Concat(certificate.DnsNames).Distinct()];

    // Renew at two thirds of the lifetime, as cert-manager does by default, unless renewBefore says otherwise.
    private static DateTime RenewalTime(CertificateResource certificate, X509Certificate2 leaf) =>
        leaf.NotAfter.ToUniversalTime() - (certificate.RenewBefore ?? (leaf.NotAfter.ToUniversalTime() - leaf.NotBefore.ToUniversalTime()) / 3);

    private static Task PublishReadyAsync(CertificateResource certificate, InitializeResourceEvent e, X509Certificate2 leaf, DateTime renewAt, string directory) =>
        e.Notifications.PublishUpdateAsync(certificate, s => s with
        {
            State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
            StartTimeStamp = s.StartTimeStamp ?? DateTime.UtcNow,
            Properties = s.Properties
                .With(LocalTlsProperties.DnsNames, string.Join(", ", Names(certificate)))
                .With(LocalTlsProperties.NotAfter, leaf.NotAfter.ToUniversalTime().ToString("u"))
                .With(LocalTlsProperties.RenewalTime, renewAt.ToString("u"))
                .With(LocalTlsProperties.Serial, leaf.SerialNumber)
                .With(LocalTlsProperties.Files, directory)
                .With(LocalTlsProperties.Problem, null),
        });

    private async Task<TimeSpan> IssueAsync(CertificateResource certificate, StepCaResource ca, HostCa running, InitializeResourceEvent e, CancellationToken stopping)
    {
        var names = Names(certificate);
        await e.Notifications.PublishUpdateAsync(certificate, s => s with
        {
            State = new ResourceStateSnapshot("Issuing", KnownResourceStateStyles.Info),
            Properties = s.Properties.With(LocalTlsProperties.DnsNames, string.Join(", ", names)).With(LocalTlsProperties.Problem, null),
        });
        try
        {
            IAcmeChallengeSolver solver = certificate.Challenge == AcmeChallengeTypes.Http01
                ? Http01ChallengeServer.Start()
                : new Dns01ChallengeSolver(cas.Dns(running) ?? throw new InvalidOperationException($"dns-01 needs the CA's DNS responder, and '{running.Dns.Name}' is not answering."));
            AcmeCertificate issued;
            try
            {
                issued = await AcmeIssuance.IssueAsync(names, solver, new AcmeIssueOptions
                {
                    DirectoryUrl = running.DirectoryUrl(certificate.Issuer!.ProvisionerName),
                    Client = new AcmeClientOptions { TrustedRootsPem = running.Material!.RootCertificatePem },
                    CaRoot = new CaStore(ca.CaStoreDirectory).Directory,
                    // Keyed by the CA, not by host and port: the port changes every run, the account need not.
                    AccountKeyPath = AcmeAccountKey.PathForCa(new CaStore(ca.CaStoreDirectory).Directory, running.Material!.RootFingerprint, running.DirectoryUrl(certificate.Issuer!.ProvisionerName)),
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
            using var leaf = issued.GetCertificate();
            var bundle = new X509Certificate2Collection(leaf);
            bundle.AddRange(issued.GetIntermediates());
            AtomicFiles.WriteAll(
            [
                new(Path.Combine(directory, "tls.crt"), issued.CertificateChainPem),
                new(Path.Combine(directory, "tls.key"), issued.PrivateKeyPem, Secret: true),
                new(Path.Combine(directory, "tls.pfx"), "", Secret: true, Bytes: bundle.Export(X509ContentType.Pfx)),
                new(Path.Combine(directory, "ca.crt"), running.Material!.RootCertificatePem),
            ], $"the certificate '{certificate.Name}'");

            var renewAt = RenewalTime(certificate, leaf);
            e.Logger.LogInformation("Issued {Names} over {Challenge}, valid until {NotAfter:u}, serial {Serial}.", string.Join(", ", names), issued.ChallengeType, leaf.NotAfter.ToUniversalTime(), leaf.SerialNumber);
            await PublishReadyAsync(certificate, e, leaf, renewAt, directory);
            var wait = renewAt - DateTime.UtcNow;
            return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
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
