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
    private readonly Dictionary<CertificateResource, TaskCompletionSource<string?>> _renewed = [];

    // One issuance at a time per ACME account: step-ca 0.19 answers serverInternal to two new-account calls with one key at once.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _accounts = new();

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

    /// <summary>Renews now and waits for the outcome: <see langword="null"/> when issued, else the problem; for the dashboard's Renew command.</summary>
    public async Task<(bool Started, string? Problem)> RenewAsync(CertificateResource certificate, CancellationToken cancellationToken)
    {
        TaskCompletionSource<string?> outcome;
        lock (_renewNow)
        {
            if (!_renewNow.TryGetValue(certificate, out var renew))
            {
                return (false, null);
            }

            outcome = _renewed.TryGetValue(certificate, out var pending) ? pending : _renewed[certificate] = new(TaskCreationOptions.RunContinuationsAsynchronously);
            renew.Release();
        }

        return (true, await outcome.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken));
    }

    /// <summary>Tells a waiting Renew command how the issuance it asked for ended.</summary>
    private void Completed(CertificateResource certificate, string? problem)
    {
        lock (_renewNow)
        {
            if (_renewed.Remove(certificate, out var outcome))
            {
                outcome.TrySetResult(problem);
            }
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
                var wait = (reuse ? await ReuseAsync(certificate, running, e) : null) ?? await IssueAsync(certificate, ca, running, e, stopping, problem => Completed(certificate, problem));
                reuse = false;
                e.Logger.LogInformation("Next renewal in {Wait}.", RelativeTime.Duration(wait));
                await WaitForRenewalAsync(certificate, e, renew, wait, stopping);
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

    // "in 15 h 59 min" must not stand still: the relative times are rewritten this often while waiting.
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);

    private static async Task WaitForRenewalAsync(CertificateResource certificate, InitializeResourceEvent e, SemaphoreSlim renew, TimeSpan wait, CancellationToken stopping)
    {
        var until = DateTime.UtcNow + wait;
        for (var left = wait; left > TimeSpan.Zero; left = until - DateTime.UtcNow)
        {
            if (await renew.WaitAsync(left < RefreshEvery ? left : RefreshEvery, stopping))
            {
                return;
            }

            await e.Notifications.PublishUpdateAsync(certificate, s => s with { Properties = WithRelativeTimes(s.Properties) });
        }
    }

    /// <summary>"Expires" and "Renews" as durations from now, from the raw notAfter and renewal time (the one source).</summary>
    private static System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> WithRelativeTimes(System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> properties) =>
        CertificateTimes.WithRelativeTimes(properties, DateTime.UtcNow);

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

    /// <summary>The state of a certificate still served while its renewal fails.</summary>
    public const string RenewalFailing = "Renewal failing";

    private static bool StillValid(CertificateResource certificate)
    {
        try
        {
            var crt = Path.Combine(certificate.HostDirectory!, "tls.crt");
            using var leaf = File.Exists(crt) ? X509CertificateLoader.LoadCertificateFromFile(crt) : null;
            return leaf is not null && leaf.NotAfter.ToUniversalTime() > DateTime.UtcNow;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private static Task PublishReadyAsync(CertificateResource certificate, InitializeResourceEvent e, X509Certificate2 leaf, DateTime renewAt, string directory, bool issuedNow = false) =>
        e.Notifications.PublishUpdateAsync(certificate, s => s with
        {
            State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
            // The start time is when the certificate now served was issued.
            StartTimeStamp = issuedNow ? DateTime.UtcNow : s.StartTimeStamp ?? DateTime.UtcNow,
            Properties = WithRelativeTimes(s.Properties
                .With(LocalTlsProperties.DnsNames, string.Join(", ", Names(certificate)))
                .With(LocalTlsProperties.NotAfter, leaf.NotAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture))
                .With(LocalTlsProperties.RenewalTime, renewAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture))
                .With(LocalTlsProperties.Serial, CertificateSerial.OpenSslForm(leaf))
                .With(LocalTlsProperties.Files, directory)
                .With(LocalTlsProperties.Problem, null)),
        });

    private async Task<TimeSpan> IssueAsync(CertificateResource certificate, StepCaResource ca, HostCa running, InitializeResourceEvent e, CancellationToken stopping, Action<string?> completed)
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
            var accountKeyPath = AcmeAccountKey.PathForCa(new CaStore(ca.CaStoreDirectory).Directory, running.Material!.RootFingerprint, running.DirectoryUrl(certificate.Issuer!.ProvisionerName));
            var account = _accounts.GetOrAdd(accountKeyPath, _ => new SemaphoreSlim(1, 1));
            // A step-ca just (re)started may not listen yet: give it a few seconds before calling it unreachable.
            await WaitForHealthAsync(running, TimeSpan.FromSeconds(15), stopping);
            await account.WaitAsync(stopping);
            try
            {
                issued = await AcmeIssuance.IssueAsync(names, solver, new AcmeIssueOptions
                {
                    DirectoryUrl = running.DirectoryUrl(certificate.Issuer!.ProvisionerName),
                    Client = new AcmeClientOptions { TrustedRootsPem = running.Material!.RootCertificatePem },
                    CaRoot = new CaStore(ca.CaStoreDirectory).Directory,
                    // Keyed by the CA, not by host and port: the port changes every run, the account need not.
                    AccountKeyPath = accountKeyPath,
                    Lifetime = certificate.Duration,
                }, stopping);
            }
            finally
            {
                account.Release();
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
            e.Logger.LogInformation("Issued {Names} over {Challenge}, valid until {NotAfter:u}, serial {Serial}.", string.Join(", ", names), issued.ChallengeType, leaf.NotAfter.ToUniversalTime(), CertificateSerial.OpenSslForm(leaf));
            await PublishReadyAsync(certificate, e, leaf, renewAt, directory, issuedNow: true);
            completed(null);
            var wait = renewAt - DateTime.UtcNow;
            return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            e.Logger.LogError("{Message}", ex.Message);
            // A certificate still valid on disk keeps being served: it is valid with its renewal failing, not "failed to start".
            var stillValid = StillValid(certificate);
            await e.Notifications.PublishUpdateAsync(certificate, s => s with
            {
                State = stillValid
                    ? new ResourceStateSnapshot(RenewalFailing, KnownResourceStateStyles.Warn)
                    : new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
            });
            completed(ex.Message);
            return TimeSpan.FromSeconds(30);
        }
    }

    private static async Task WaitForHealthAsync(HostCa running, TimeSpan patience, CancellationToken stopping)
    {
        using var client = new HttpClient(StepCa.StepCaExecutable.CreateHandler(running.Material!.GetRootCertificate(), primaryUrl: null, servingAddress: null)) { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < until)
        {
            try
            {
                using var response = await client.GetAsync(new Uri($"https://127.0.0.1:{running.Port}/health"), stopping);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !stopping.IsCancellationRequested))
            {
            }

            await Task.Delay(250, stopping);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }
}
