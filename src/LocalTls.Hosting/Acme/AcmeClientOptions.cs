namespace LocalTls.Acme;

/// <summary>How an <see cref="AcmeClient"/> talks to the server.</summary>
internal sealed class AcmeClientOptions
{
    /// <summary>
    /// The handler requests go through; the caller keeps ownership (it is not disposed with the client). Use it to
    /// trust only a given root (see <see cref="AcmeClient.CreateHandler(string)"/>) or to put a
    /// <see cref="DelegatingHandler"/> in between. Default: a new handler, see <see cref="TrustedRootsPem"/>.
    /// </summary>
    public HttpMessageHandler? HttpMessageHandler { get; init; }

    /// <summary>
    /// When no <see cref="HttpMessageHandler"/> is given: PEM certificates that are the only roots trusted for
    /// the server's TLS certificate (custom root trust, no system roots), e.g. step-ca's <c>root_ca.crt</c>.
    /// <see langword="null"/> trusts the system's roots.
    /// </summary>
    public string? TrustedRootsPem { get; init; }

    /// <summary>How often a request rejected with <c>badNonce</c> is sent again with a fresh nonce. Default 3.</summary>
    public int BadNonceRetries { get; init; } = 3;

    /// <summary>How long one HTTP request may take. Default 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>How <see cref="AcmeClient.IssueAsync"/> orders a certificate.</summary>
internal sealed class AcmeOrderOptions
{
    /// <summary>
    /// The bound on the whole issuance, polling included: a challenge still pending then fails with an
    /// <see cref="AcmeException"/> that says so. Default 60 seconds.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The certificate's lifetime, sent as the order's <c>notAfter</c> (step-ca honours it within the
    /// provisioner's minimum and maximum, by default 5 minutes to 24 hours). <see langword="null"/> for the server's default.
    /// </summary>
    public TimeSpan? Lifetime { get; init; }
}
