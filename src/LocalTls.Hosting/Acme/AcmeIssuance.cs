using System.Net;
using LocalTls.Pki;

namespace LocalTls.Acme;

/// <summary>Settings for <see cref="AcmeIssuance.IssueAsync"/>.</summary>
internal sealed class AcmeIssueOptions
{
    /// <summary>The ACME directory URL, e.g. <c>https://127.0.0.1:9000/acme/acme/directory</c>.</summary>
    public required Uri DirectoryUrl { get; init; }

    /// <summary>How to talk to the server: trusted roots, handler, badNonce retries.</summary>
    public AcmeClientOptions Client { get; init; } = new();

    /// <summary>The account key to use; when null it is read from (or created at) <see cref="AccountKeyPath"/>.</summary>
    public AcmeAccountKey? AccountKey { get; init; }

    /// <summary>
    /// The account key file; when null, <see cref="AcmeAccountKey.DefaultPath"/> in the CA store
    /// (<see cref="CaRoot"/>): <c>{caroot}/acme/{host}-{port}/account.key</c>. Created (mode 0600) when missing.
    /// </summary>
    public string? AccountKeyPath { get; init; }

    /// <summary>The CA store directory for the default account key path; <see cref="CaStore.DefaultDirectory"/> when null.</summary>
    public string? CaRoot { get; init; }

    /// <summary>The bound on the whole issuance, polling included. Default 60 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The certificate lifetime to ask for (the order's <c>notAfter</c>); the server's default when null.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>Account contact URLs (<c>mailto:…</c>), used when the account is created.</summary>
    public IReadOnlyList<string>? Contact { get; init; }
}

/// <summary>
/// Issues certificates from an ACME server (e.g. step-ca) in one call, keeping the account key in the CA store
/// so later issuances reuse the same account.
/// </summary>
internal static class AcmeIssuance
{
    /// <summary>
    /// Issues a certificate for <paramref name="names"/>: loads or creates the account key, finds or creates the
    /// account, and runs the order with <paramref name="solver"/> (see <see cref="AcmeClient.IssueAsync"/>).
    /// </summary>
    /// <param name="names">Host names (wildcards need dns-01) or IP addresses.</param>
    /// <param name="solver">Publishes the challenge answers (<see cref="Http01ChallengeServer"/>, <see cref="Dns01ChallengeSolver"/>).</param>
    /// <param name="options">Server, trust, account key and timeout.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The chain and its private key.</returns>
    /// <exception cref="AcmeException">The issuance failed; the message says where and what to do.</exception>
    /// <exception cref="ArgumentException">The account key file is not a usable key.</exception>
    /// <exception cref="IOException">The account key could not be written.</exception>
    /// <example>
    /// <code>
    /// await using var dns = SslipDnsServer.Start();            // step-ca runs with --resolver 127.0.0.1:53535
    /// var issued = await AcmeIssuance.IssueAsync(["*.127.0.0.1.sslip.io"], new Dns01ChallengeSolver(dns), new AcmeIssueOptions
    /// {
    ///     DirectoryUrl = new Uri("https://127.0.0.1:9000/acme/acme/directory"),
    ///     Client = new AcmeClientOptions { TrustedRootsPem = File.ReadAllText("root_ca.crt") },
    /// });
    /// File.WriteAllText("wildcard.crt", issued.CertificateChainPem);
    /// </code>
    /// </example>
    public static async Task<AcmeCertificate> IssueAsync(IEnumerable<string> names, IAcmeChallengeSolver solver, AcmeIssueOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(solver);
        ArgumentNullException.ThrowIfNull(options);
        var ownedKey = options.AccountKey is null;
        var key = options.AccountKey ?? AcmeAccountKey.LoadOrCreate(ResolveAccountKeyPath(options), out _);
        try
        {
            using var client = new AcmeClient(options.DirectoryUrl, key, options.Client);
            await client.CreateAccountAsync(options.Contact, cancellationToken).ConfigureAwait(false);
            var certificate = await client.IssueAsync(names, solver, new AcmeOrderOptions { Timeout = options.Timeout, Lifetime = options.Lifetime }, cancellationToken).ConfigureAwait(false);
            certificate.BadNonceRetries = client.BadNonceRetryCount;
            return certificate;
        }
        finally
        {
            if (ownedKey)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>The account key path <see cref="IssueAsync"/> uses for these options.</summary>
    /// <param name="options">The options.</param>
    /// <returns><see cref="AcmeIssueOptions.AccountKeyPath"/>, else the default path in the CA store.</returns>
    public static string ResolveAccountKeyPath(AcmeIssueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AccountKeyPath is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : AcmeAccountKey.DefaultPath(new CaStore(options.CaRoot).Directory, options.DirectoryUrl);
    }

    /// <summary>
    /// Chooses the challenge type: dns-01 when a DNS server is available and either a name is a wildcard or
    /// <paramref name="httpEndPoint"/> cannot be bound; http-01 otherwise.
    /// </summary>
    /// <param name="names">The names to issue for.</param>
    /// <param name="dnsServerAvailable">Whether a DNS server the CA resolves through can publish TXT records.</param>
    /// <param name="httpEndPoint">Where the http-01 solver would listen; 127.0.0.1:80 when null.</param>
    /// <param name="reason">Why, for a person.</param>
    /// <returns><see cref="AcmeChallengeTypes.Dns01"/> or <see cref="AcmeChallengeTypes.Http01"/>.</returns>
    public static string ChooseChallengeType(IEnumerable<string> names, bool dnsServerAvailable, IPEndPoint? httpEndPoint, out string reason)
    {
        ArgumentNullException.ThrowIfNull(names);
        var wildcard = names.Select(AcmeIdentifier.For).FirstOrDefault(i => i.IsWildcard);
        if (wildcard is not null)
        {
            reason = $"{wildcard.Value} is a wildcard, which only dns-01 can validate";
            return AcmeChallengeTypes.Dns01;
        }

        if (!Http01ChallengeServer.CanBind(httpEndPoint, out var bindError))
        {
            reason = dnsServerAvailable ? bindError! : bindError + " (and no DNS server was given for dns-01)";
            return dnsServerAvailable ? AcmeChallengeTypes.Dns01 : AcmeChallengeTypes.Http01;
        }

        reason = $"{httpEndPoint ?? Http01ChallengeServer.DefaultEndPoint} can be bound";
        return AcmeChallengeTypes.Http01;
    }
}
