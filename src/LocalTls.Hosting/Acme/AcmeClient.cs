using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace LocalTls.Acme;

// Hand-written: no maintained .NET ACME client (e.g. Certes) is served by the package registry this project uses.

/// <summary>
/// A small RFC 8555 ACME client: directory, nonces, JWS-signed requests (with <c>badNonce</c> retries), account,
/// orders, authorizations, challenges, finalization and certificate download. <see cref="IssueAsync"/> runs the
/// whole flow; <see cref="AcmeIssuance"/> adds the account key store on top.
/// </summary>
/// <example>
/// <code>
/// using var key = AcmeAccountKey.Create();
/// using var client = new AcmeClient(new Uri("https://127.0.0.1:9000/acme/acme/directory"), key,
///     new AcmeClientOptions { TrustedRootsPem = File.ReadAllText("root_ca.crt") });
/// await using var http = Http01ChallengeServer.Start();
/// var certificate = await client.IssueAsync(["app.127.0.0.1.sslip.io"], http);
/// File.WriteAllText("app.crt", certificate.CertificateChainPem);
/// </code>
/// </example>
internal sealed class AcmeClient : IDisposable
{
    private const string JoseJson = "application/jose+json";
    private const string ProblemJson = "application/problem+json";
    private const string PemChain = "application/pem-certificate-chain";
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly AcmeClientOptions _options;
    private readonly ConcurrentStack<string> _nonces = new();
    private readonly SemaphoreSlim _directoryLock = new(1, 1);
    private AcmeDirectory? _directory;
    private int _badNonceRetries;

    /// <summary>Creates a client for one ACME server and one account key.</summary>
    /// <param name="directoryUrl">The ACME directory URL, e.g. <c>https://127.0.0.1:9000/acme/acme/directory</c>.</param>
    /// <param name="accountKey">The account key; the caller keeps ownership.</param>
    /// <param name="options">Transport settings; defaults when null.</param>
    /// <exception cref="ArgumentException">The URL is not absolute http(s).</exception>
    /// <example>
    /// <code>
    /// using var client = new AcmeClient(new Uri("https://127.0.0.1:9000/acme/acme/directory"), AcmeAccountKey.Create(),
    ///     new AcmeClientOptions { TrustedRootsPem = File.ReadAllText("root_ca.crt") });
    /// var account = await client.CreateAccountAsync();
    /// </code>
    /// </example>
    public AcmeClient(Uri directoryUrl, AcmeAccountKey accountKey, AcmeClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directoryUrl);
        ArgumentNullException.ThrowIfNull(accountKey);
        if (!directoryUrl.IsAbsoluteUri || directoryUrl.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"'{directoryUrl}' is not an ACME directory URL: write it as https://HOST:PORT/acme/PROVISIONER/directory.", nameof(directoryUrl));
        }

        _options = options ?? new AcmeClientOptions();
        if (_options.BadNonceRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.BadNonceRetries, "BadNonceRetries must be 0 or more, e.g. 3.");
        }

        DirectoryUrl = directoryUrl;
        AccountKey = accountKey;
        _http = _options.HttpMessageHandler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(_options.TrustedRootsPem is { } roots ? CreateHandler(roots) : new SocketsHttpHandler(), disposeHandler: true);
        _http.Timeout = _options.RequestTimeout;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("LocalTls", typeof(AcmeClient).Assembly.GetName().Version?.ToString(3) ?? "1.0"));
    }

    /// <summary>The ACME directory URL.</summary>
    public Uri DirectoryUrl { get; }

    /// <summary>The account key requests are signed with.</summary>
    public AcmeAccountKey AccountKey { get; }

    /// <summary>The account URL (the JWS <c>kid</c>) once <see cref="CreateAccountAsync"/> or <see cref="FindAccountAsync"/> found it.</summary>
    public Uri? AccountUrl { get; private set; }

    /// <summary>How many requests were sent again because the server answered <c>badNonce</c>.</summary>
    public int BadNonceRetryCount => Volatile.Read(ref _badNonceRetries);

    /// <summary>
    /// A handler that trusts only the roots in <paramref name="rootsPem"/> for the server's certificate (custom root
    /// trust: system roots are ignored, revocation is not checked).
    /// </summary>
    /// <param name="rootsPem">One or more PEM certificates.</param>
    /// <returns>A new handler; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The text holds no certificate.</exception>
    public static SocketsHttpHandler CreateHandler(string rootsPem)
    {
        ArgumentNullException.ThrowIfNull(rootsPem);
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(rootsPem);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"The trusted roots are not PEM certificates ({e.Message}). Give the CA's root certificate, e.g. step-ca's certs/root_ca.crt.", e);
        }

        if (roots.Count == 0)
        {
            throw new ArgumentException("The trusted roots hold no '-----BEGIN CERTIFICATE-----' block. Give the CA's root certificate, e.g. step-ca's certs/root_ca.crt.");
        }

        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
    }

    /// <summary>Fetches the directory (once; later calls return the same).</summary>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The directory.</returns>
    /// <exception cref="AcmeException">The server could not be reached or did not answer with a directory.</exception>
    public async Task<AcmeDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default)
    {
        if (_directory is { } known)
        {
            return known;
        }

        await _directoryLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_directory is { } raced)
            {
                return raced;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, DirectoryUrl);
            var response = await SendAsync(request, "fetch the ACME directory", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                throw Failure($"Could not fetch the ACME directory {DirectoryUrl}", response);
            }

            try
            {
                _directory = JsonSerializer.Deserialize<AcmeDirectory>(response.Body, Json)
                    ?? throw new JsonException("the body is null");
            }
            catch (JsonException e)
            {
                throw new AcmeException(
                    $"{DirectoryUrl} did not answer with an ACME directory ({e.Message}). Check the URL: for step-ca it is https://HOST:PORT/acme/PROVISIONER/directory.",
                    innerException: e) { Server = DirectoryUrl };
            }

            return _directory;
        }
        finally
        {
            _directoryLock.Release();
        }
    }

    /// <summary>
    /// Creates the account for this key, or finds it when it exists (newAccount returns an existing account
    /// for a known key). Sets <see cref="AccountUrl"/>.
    /// </summary>
    /// <param name="contact">Contact URLs, e.g. <c>mailto:dev@example.com</c>; none by default.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The account.</returns>
    /// <exception cref="AcmeException">The server refused or could not be reached.</exception>
    public async Task<AcmeAccount> CreateAccountAsync(IEnumerable<string>? contact = null, CancellationToken cancellationToken = default)
    {
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var payload = new Dictionary<string, object> { ["termsOfServiceAgreed"] = true };
        if (contact?.ToArray() is { Length: > 0 } contacts)
        {
            payload["contact"] = contacts;
        }

        var response = await PostAsync(directory.NewAccount, payload, "create the ACME account", useJwk: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ReadAccount(response);
    }

    /// <summary>Finds the account for this key without creating one (<c>onlyReturnExisting</c>). Sets <see cref="AccountUrl"/> when found.</summary>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The account, or <see langword="null"/> when the server has none for this key.</returns>
    /// <exception cref="AcmeException">The server refused for another reason or could not be reached.</exception>
    public async Task<AcmeAccount?> FindAccountAsync(CancellationToken cancellationToken = default)
    {
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await PostAsync(directory.NewAccount, new { onlyReturnExisting = true }, "look up the ACME account", useJwk: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ReadAccount(response);
        }
        catch (AcmeException e) when (e.Problem?.Type == AcmeProblem.AccountDoesNotExist)
        {
            return null;
        }
    }

    /// <summary>Creates an order for identifiers. Needs an account (see <see cref="CreateAccountAsync"/>).</summary>
    /// <param name="identifiers">The names and addresses.</param>
    /// <param name="notBefore">The requested start of validity; the server's default when null.</param>
    /// <param name="notAfter">The requested end of validity; the server's default when null.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The new order.</returns>
    /// <exception cref="AcmeException">The server refused or could not be reached.</exception>
    public async Task<AcmeOrder> NewOrderAsync(IReadOnlyList<AcmeIdentifier> identifiers, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identifiers);
        if (identifiers.Count == 0)
        {
            throw new ArgumentException("An order needs at least one identifier, e.g. app.127.0.0.1.sslip.io.", nameof(identifiers));
        }

        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var payload = new Dictionary<string, object> { ["identifiers"] = identifiers };
        if (notBefore is { } nb)
        {
            payload["notBefore"] = nb.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (notAfter is { } na)
        {
            payload["notAfter"] = na.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        var names = string.Join(", ", identifiers.Select(i => i.Value));
        var response = await PostAsync(directory.NewOrder, payload, $"create an order for {names}", cancellationToken: cancellationToken).ConfigureAwait(false);
        return ReadOrder(response, response.Location ?? throw Malformed(response, "the new order has no Location header"));
    }

    /// <summary>
    /// Revokes a certificate this account holds (RFC 8555 section 7.6), signed with the account key.
    /// </summary>
    /// <param name="certificatePem">The certificate (the first PEM block is the one revoked).</param>
    /// <param name="reason">An RFC 5280 reason code; 0 (unspecified) by default, 1 when its key is compromised.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <exception cref="AcmeException">The server refused (e.g. <see cref="AcmeProblem.AlreadyRevoked"/>) or could not be reached.</exception>
    /// <example>
    /// <code>
    /// await client.RevokeCertificateAsync(File.ReadAllText("app.crt"));
    /// </code>
    /// </example>
    public async Task RevokeCertificateAsync(string certificatePem, int reason = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePem);
        if (reason is < 0 or > 10 or 7)
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "An RFC 5280 reason code is 0 to 10 except 7, e.g. 0 (unspecified) or 1 (keyCompromise).");
        }

        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(certificatePem);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var url = directory.RevokeCert ?? throw new AcmeException($"The ACME server at {DirectoryUrl} offers no revokeCert: it cannot revoke certificates.");
        await PostAsync(url, new Dictionary<string, object> { ["certificate"] = Base64Url.Encode(certificate.RawData), ["reason"] = reason },
            $"revoke the certificate {certificate.SerialNumber}", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches an order (POST-as-GET).</summary>
    /// <param name="orderUrl">The order URL.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The order.</returns>
    /// <exception cref="AcmeException">The server refused or could not be reached.</exception>
    public async Task<AcmeOrder> GetOrderAsync(Uri orderUrl, CancellationToken cancellationToken = default) =>
        (await GetOrderCoreAsync(orderUrl, cancellationToken).ConfigureAwait(false)).Order;

    /// <summary>Fetches an authorization (POST-as-GET).</summary>
    /// <param name="authorizationUrl">The authorization URL.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The authorization.</returns>
    /// <exception cref="AcmeException">The server refused or could not be reached.</exception>
    public async Task<AcmeAuthorization> GetAuthorizationAsync(Uri authorizationUrl, CancellationToken cancellationToken = default) =>
        (await GetAuthorizationCoreAsync(authorizationUrl, cancellationToken).ConfigureAwait(false)).Authorization;

    /// <summary>Tells the server the challenge's answer is in place (POST <c>{}</c>); step-ca validates right then.</summary>
    /// <param name="challenge">The challenge.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The challenge as the server returned it (step-ca: already <c>valid</c>, <c>invalid</c>, or <c>pending</c> with an error).</returns>
    /// <exception cref="AcmeException">The server refused or could not be reached.</exception>
    public async Task<AcmeChallenge> RespondToChallengeAsync(AcmeChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var response = await PostAsync(challenge.Url, new { }, $"start the {challenge.Type} validation", cancellationToken: cancellationToken).ConfigureAwait(false);
        return ReadChallenge(response);
    }

    /// <summary>
    /// Polls an authorization until it is <c>valid</c>, honouring <c>Retry-After</c>. A challenge that step-ca left
    /// <c>pending</c> with an error attached is posted again, which makes step-ca try the validation again.
    /// </summary>
    /// <param name="authorization">The authorization.</param>
    /// <param name="challengeType">The challenge type being solved.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The valid authorization.</returns>
    /// <exception cref="AcmeException">It became invalid, or was still not valid after <paramref name="timeout"/> (the message has the error the server attached).</exception>
    public Task<AcmeAuthorization> WaitForAuthorizationAsync(AcmeAuthorization authorization, string challengeType, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAuthorizationAsync(authorization, challengeType, Deadline.In(timeout), cancellationToken);

    /// <summary>Polls an order until it leaves <c>pending</c> and <c>processing</c> (or, with <paramref name="untilReady"/>, until <c>ready</c>), honouring <c>Retry-After</c>.</summary>
    /// <param name="orderUrl">The order URL.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="untilReady">Return once the order is <c>ready</c> rather than waiting for <c>valid</c>.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The order.</returns>
    /// <exception cref="AcmeException">It became invalid, or did not get there within <paramref name="timeout"/>.</exception>
    public Task<AcmeOrder> WaitForOrderAsync(Uri orderUrl, TimeSpan timeout, bool untilReady = false, CancellationToken cancellationToken = default) =>
        WaitForOrderAsync(orderUrl, Deadline.In(timeout), untilReady, cancellationToken);

    /// <summary>Sends the CSR (DER) to the order's finalize URL.</summary>
    /// <param name="order">A <c>ready</c> order.</param>
    /// <param name="csrDer">The certificate signing request, DER.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The order as the server returned it (step-ca: <c>valid</c> at once).</returns>
    /// <exception cref="AcmeException">The server refused (e.g. <c>badCSR</c>, <c>orderNotReady</c>) or could not be reached.</exception>
    public async Task<AcmeOrder> FinalizeAsync(AcmeOrder order, byte[] csrDer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(csrDer);
        var finalize = order.Finalize ?? throw new AcmeException($"The order {order.Url} has no finalize URL.") { Server = DirectoryUrl };
        var response = await PostAsync(finalize, new { csr = Base64Url.Encode(csrDer) }, "finalize the order", cancellationToken: cancellationToken).ConfigureAwait(false);
        return ReadOrder(response, response.Location ?? order.Url);
    }

    /// <summary>Downloads a certificate chain (POST-as-GET, <c>application/pem-certificate-chain</c>): the leaf first, then the intermediates.</summary>
    /// <param name="certificateUrl">The order's certificate URL.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The PEM chain.</returns>
    /// <exception cref="AcmeException">The server refused, could not be reached, or sent no certificate.</exception>
    public async Task<string> DownloadCertificateAsync(Uri certificateUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificateUrl);
        var response = await PostAsync(certificateUrl, null, "download the certificate", accept: PemChain, cancellationToken: cancellationToken).ConfigureAwait(false);
        var pem = Encoding.UTF8.GetString(response.Body).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw Malformed(response, $"the certificate at {certificateUrl} is not a PEM chain");
        }

        return pem.EndsWith('\n') ? pem : pem + "\n";
    }

    /// <summary>The key authorization for a token with this client's account key.</summary>
    /// <param name="token">The challenge's token.</param>
    /// <returns><c>token.thumbprint</c>.</returns>
    public string GetKeyAuthorization(string token) => AccountKey.GetKeyAuthorization(token);

    /// <summary>
    /// Issues a certificate: account (found or created), order, challenges through <paramref name="solver"/>,
    /// polling bounded by <see cref="AcmeOrderOptions.Timeout"/>, finalization with a CSR for a new ECDSA P-256 key
    /// (SANs = the names), and the chain download.
    /// </summary>
    /// <param name="names">Host names (a wildcard <c>*.name</c> needs dns-01) or IP addresses; the first is the subject's common name.</param>
    /// <param name="solver">Publishes the challenge answers.</param>
    /// <param name="options">Timeout and lifetime; defaults when null.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The certificate chain and its private key.</returns>
    /// <exception cref="AcmeException">The issuance failed or timed out; the message says where and what to do.</exception>
    /// <example>
    /// <code>
    /// await using var http = Http01ChallengeServer.Start();
    /// var issued = await client.IssueAsync(["app.127.0.0.1.sslip.io"], http, new AcmeOrderOptions { Timeout = TimeSpan.FromSeconds(30) });
    /// </code>
    /// </example>
    public async Task<AcmeCertificate> IssueAsync(IEnumerable<string> names, IAcmeChallengeSolver solver, AcmeOrderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(solver);
        options ??= new AcmeOrderOptions();
        if (options.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, "Timeout must be positive, e.g. 60 seconds.");
        }

        var identifiers = names.Select(AcmeIdentifier.For).Distinct().ToList();
        if (identifiers.Count == 0)
        {
            throw new ArgumentException("Give at least one name to issue for, e.g. app.127.0.0.1.sslip.io.", nameof(names));
        }

        if (solver.ChallengeType != AcmeChallengeTypes.Dns01 && identifiers.FirstOrDefault(i => i.IsWildcard) is { } wildcard)
        {
            throw new AcmeException($"{wildcard.Value} is a wildcard, and ACME validates wildcards only with dns-01, not {solver.ChallengeType}. Use a dns-01 solver (--challenge dns-01).");
        }

        var stopwatch = Stopwatch.StartNew();
        var deadline = Deadline.In(options.Timeout);
        var retriesBefore = BadNonceRetryCount;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(options.Timeout + TimeSpan.FromSeconds(1));
        var ct = timeoutSource.Token;
        var stage = "create the account";
        try
        {
            if (AccountUrl is null)
            {
                await CreateAccountAsync(cancellationToken: ct).ConfigureAwait(false);
            }

            stage = "create the order";
            var now = DateTimeOffset.UtcNow;
            var order = await NewOrderAsync(identifiers, notAfter: options.Lifetime is { } lifetime ? now + lifetime : null, cancellationToken: ct).ConfigureAwait(false);

            stage = "solve the challenges";
            var work = new List<AcmeChallengeWork>();
            try
            {
                foreach (var url in order.Authorizations)
                {
                    var authorization = await GetAuthorizationAsync(url, ct).ConfigureAwait(false);
                    if (authorization.Status == AcmeStatus.Valid)
                    {
                        continue;
                    }

                    var challenge = authorization.GetChallenge(solver.ChallengeType)
                        ?? throw new AcmeException(
                            $"The server offers no {solver.ChallengeType} challenge for {authorization.OrderedName} (it offers {string.Join(", ", authorization.Challenges.Select(c => c.Type))}). Use one of those.")
                        { Server = DirectoryUrl };
                    var item = new AcmeChallengeWork(authorization, challenge, GetKeyAuthorization(challenge.Token));
                    await solver.PrepareAsync(item, ct).ConfigureAwait(false);
                    work.Add(item);
                }

                var pending = new List<AcmeChallengeWork>();
                foreach (var item in work)
                {
                    var answered = await RespondToChallengeAsync(item.Challenge, ct).ConfigureAwait(false);
                    if (answered.Status == AcmeStatus.Invalid)
                    {
                        throw ValidationFailed(item.Authorization, answered);
                    }

                    // A valid challenge makes its authorization valid (RFC 8555 §7.1.6); step-ca validates at once.
                    if (answered.Status != AcmeStatus.Valid)
                    {
                        pending.Add(item);
                    }
                }

                foreach (var item in pending)
                {
                    await WaitForAuthorizationAsync(item.Authorization, solver.ChallengeType, deadline, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                foreach (var item in work)
                {
                    try
                    {
                        await solver.CleanupAsync(item, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
                    {
                        // Cleanup is best effort; a stale answer is harmless once the challenge is done.
                    }
                }
            }

            stage = "finalize the order";
            using var certificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = CreateCsr(identifiers, certificateKey);
            try
            {
                // With every authorization valid the order is ready; a server that gets there later answers
                // orderNotReady, and then the order is polled until it is.
                order = await FinalizeAsync(order, csr, ct).ConfigureAwait(false);
            }
            catch (AcmeException e) when (e.Problem?.Type == AcmeProblem.OrderNotReady)
            {
                order = await WaitForOrderAsync(order.Url, deadline, untilReady: true, ct).ConfigureAwait(false);
                order = await FinalizeAsync(order, csr, ct).ConfigureAwait(false);
            }

            if (order.Status == AcmeStatus.Invalid)
            {
                throw OrderInvalid(order);
            }

            if (order.Status != AcmeStatus.Valid)
            {
                order = await WaitForOrderAsync(order.Url, deadline, untilReady: false, ct).ConfigureAwait(false);
            }

            stage = "download the certificate";
            var certificateUrl = order.Certificate ?? throw new AcmeException($"The order {order.Url} is valid but has no certificate URL.") { Server = DirectoryUrl };
            var chain = await DownloadCertificateAsync(certificateUrl, ct).ConfigureAwait(false);
            return new AcmeCertificate(chain, certificateKey.ExportPkcs8PrivateKeyPem(), identifiers, solver.ChallengeType)
            {
                OrderUrl = order.Url,
                CertificateUrl = certificateUrl,
                AccountUrl = AccountUrl!,
                BadNonceRetries = BadNonceRetryCount - retriesBefore,
                Elapsed = stopwatch.Elapsed,
            };
        }
        catch (OperationCanceledException e) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new AcmeException(
                $"The issuance for {string.Join(", ", identifiers.Select(i => i.Value))} did not finish within {Describe(options.Timeout)}: the server at {Authority} did not answer while trying to {stage}. Check step-ca's log, or give a longer timeout.",
                innerException: e) { Server = DirectoryUrl, IsTimeout = true };
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _http.Dispose();
        _directoryLock.Dispose();
    }

    internal static byte[] CreateCsr(IReadOnlyList<AcmeIdentifier> identifiers, ECDsa key)
    {
        var first = identifiers[0].Value;
        var subject = first.Length <= 64 ? new X500DistinguishedName("CN=" + first) : new X500DistinguishedName("");
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var identifier in identifiers)
        {
            if (identifier.Type == "ip")
            {
                san.AddIpAddress(IPAddress.Parse(identifier.Value));
            }
            else
            {
                san.AddDnsName(identifier.Value);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        return request.CreateSigningRequest();
    }

    private string Authority => DirectoryUrl.Authority;

    private static string Describe(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMilliseconds:0} ms";

    private async Task<AcmeAuthorization> WaitForAuthorizationAsync(AcmeAuthorization authorization, string challengeType, Deadline deadline, CancellationToken cancellationToken)
    {
        var delay = FirstPollDelay;
        while (true)
        {
            var (current, retryAfter) = await GetAuthorizationCoreAsync(authorization.Url, cancellationToken).ConfigureAwait(false);
            var challenge = current.GetChallenge(challengeType);
            switch (current.Status)
            {
                case AcmeStatus.Valid:
                    return current;
                case AcmeStatus.Pending or AcmeStatus.Processing when challenge?.Status != AcmeStatus.Invalid:
                    break;
                default:
                    throw ValidationFailed(current, challenge);
            }

            if (deadline.Remaining <= TimeSpan.Zero)
            {
                var problem = challenge?.Error;
                throw new AcmeException(
                    $"The {challengeType} validation of {current.OrderedName} never completed within {Describe(deadline.Total)}: the server left the challenge {challenge?.Status ?? current.Status}" +
                    (problem is null ? " without an error." : $" with this error attached: {problem}.") + " " +
                    (problem is null ? "Check that the answer is reachable where the CA looks for it, or give a longer timeout." : AcmeException.Advice(problem)),
                    problem) { Server = DirectoryUrl, IsTimeout = true };
            }

            var wait = Min(retryAfter ?? delay, deadline.Remaining);
            delay = Min(delay * 2, MaxPollDelay);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            if (challenge is { Status: AcmeStatus.Pending, Error: not null } && deadline.Remaining > TimeSpan.Zero)
            {
                // step-ca 0.19 validates only when the challenge is posted, and leaves it pending after a
                // connection or DNS error: posting it again is what makes it try again.
                await RespondToChallengeAsync(challenge, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<AcmeOrder> WaitForOrderAsync(Uri orderUrl, Deadline deadline, bool untilReady, CancellationToken cancellationToken)
    {
        var delay = FirstPollDelay;
        while (true)
        {
            var (order, retryAfter) = await GetOrderCoreAsync(orderUrl, cancellationToken).ConfigureAwait(false);
            switch (order.Status)
            {
                case AcmeStatus.Valid:
                case AcmeStatus.Ready when untilReady:
                    return order;
                case AcmeStatus.Invalid:
                    throw OrderInvalid(order);
            }

            if (deadline.Remaining <= TimeSpan.Zero)
            {
                throw new AcmeException(
                    $"The order {order.Url} was still {order.Status} after {Describe(deadline.Total)} (waiting for it to become {(untilReady ? "ready" : "valid")}). Check step-ca's log, or give a longer timeout.",
                    order.Error) { Server = DirectoryUrl, IsTimeout = true };
            }

            var wait = Min(retryAfter ?? delay, deadline.Remaining);
            delay = Min(delay * 2, MaxPollDelay);
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private AcmeException OrderInvalid(AcmeOrder order) => new(
        $"The order {order.Url} for {string.Join(", ", order.Identifiers.Select(i => i.Value))} is invalid" +
        (order.Error is null ? "." : $": {order.Error}. {AcmeException.Advice(order.Error)}".TrimEnd()),
        order.Error) { Server = DirectoryUrl };

    private AcmeException ValidationFailed(AcmeAuthorization authorization, AcmeChallenge? challenge)
    {
        var problem = challenge?.Error;
        var what = challenge is null
            ? $"The authorization for {authorization.OrderedName} is {authorization.Status}"
            : $"The {challenge.Type} validation of {authorization.OrderedName} failed (challenge {challenge.Status}, authorization {authorization.Status})";
        return new AcmeException(
            problem is null ? what + "." : $"{what}: {problem}. {AcmeException.Advice(problem)}".TrimEnd(),
            problem) { Server = DirectoryUrl };
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task<(AcmeOrder Order, TimeSpan? RetryAfter)> GetOrderCoreAsync(Uri orderUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orderUrl);
        var response = await PostAsync(orderUrl, null, "fetch the order", cancellationToken: cancellationToken).ConfigureAwait(false);
        return (ReadOrder(response, orderUrl), response.RetryAfter);
    }

    private async Task<(AcmeAuthorization Authorization, TimeSpan? RetryAfter)> GetAuthorizationCoreAsync(Uri authorizationUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authorizationUrl);
        var response = await PostAsync(authorizationUrl, null, "fetch the authorization", cancellationToken: cancellationToken).ConfigureAwait(false);
        var authorization = Read<AcmeAuthorization>(response, "authorization");
        authorization.Url = authorizationUrl;
        foreach (var challenge in authorization.Challenges)
        {
            challenge.Error = ProblemOf(challenge.ErrorJson);
        }

        return (authorization, response.RetryAfter);
    }

    private AcmeAccount ReadAccount(AcmeResponse response)
    {
        var account = Read<AcmeAccount>(response, "account");
        account.Url = response.Location ?? throw Malformed(response, "the account has no Location header (its URL)");
        account.Created = response.Status == HttpStatusCode.Created;
        AccountUrl = account.Url;
        return account;
    }

    private AcmeOrder ReadOrder(AcmeResponse response, Uri url)
    {
        var order = Read<AcmeOrder>(response, "order");
        order.Url = url;
        order.Error = ProblemOf(order.ErrorJson);
        return order;
    }

    private AcmeChallenge ReadChallenge(AcmeResponse response)
    {
        var challenge = Read<AcmeChallenge>(response, "challenge");
        challenge.Error = ProblemOf(challenge.ErrorJson);
        return challenge;
    }

    private static AcmeProblem? ProblemOf(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object } e ? AcmeProblem.FromElement(e) : null;

    private T Read<T>(AcmeResponse response, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(response.Body, Json) ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            throw new AcmeException($"The server's {what} from {response.Url} is not the JSON ACME describes ({e.Message}).", innerException: e) { Server = DirectoryUrl };
        }
    }

    private AcmeException Malformed(AcmeResponse response, string what) =>
        new($"The server's answer from {response.Url} is not what ACME describes: {what}.") { Server = DirectoryUrl };

    /// <summary>A JWS-signed POST, sent again with a fresh nonce after <c>badNonce</c> (bounded). A null payload is POST-as-GET.</summary>
    private async Task<AcmeResponse> PostAsync(Uri url, object? payload, string what, bool useJwk = false, string accept = "application/json", CancellationToken cancellationToken = default)
    {
        var body = payload is null ? null : JsonSerializer.SerializeToUtf8Bytes(payload, Json);
        string? keyId = null;
        if (!useJwk)
        {
            keyId = (AccountUrl ?? throw new InvalidOperationException($"No ACME account yet: call {nameof(CreateAccountAsync)} or {nameof(FindAccountAsync)} before trying to {what}.")).AbsoluteUri;
        }

        for (var attempt = 0; ; attempt++)
        {
            var nonce = await TakeNonceAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new ByteArrayContent(AcmeJws.Sign(AccountKey, url, nonce, body, keyId)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
            request.Headers.Accept.ParseAdd(accept);
            var response = await SendAsync(request, what, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccess)
            {
                return response;
            }

            if (response.Problem?.Type == AcmeProblem.BadNonce && attempt < _options.BadNonceRetries)
            {
                Interlocked.Increment(ref _badNonceRetries);
                continue;
            }

            throw Failure($"Could not {what} ({url})", response);
        }
    }

    private AcmeException Failure(string what, AcmeResponse response)
    {
        var problem = response.Problem ?? new AcmeProblem("about:blank", $"HTTP {(int)response.Status} {response.Status}") { Status = (int)response.Status };
        var advice = AcmeException.Advice(problem);
        if (problem.Type == AcmeProblem.BadNonce)
        {
            advice = $"The server rejected the nonce {_options.BadNonceRetries + 1} times in a row. " + advice;
        }

        return new AcmeException($"{what}: the server answered {problem}.{(advice.Length > 0 ? " " + advice : "")}", problem) { Server = DirectoryUrl };
    }

    private async Task<string> TakeNonceAsync(CancellationToken cancellationToken)
    {
        if (_nonces.TryPop(out var nonce))
        {
            return nonce;
        }

        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        var response = await SendAsync(request, "get a nonce", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw Failure($"Could not get a nonce ({directory.NewNonce})", response);
        }

        return _nonces.TryPop(out nonce)
            ? nonce
            : throw new AcmeException($"{directory.NewNonce} answered without a Replay-Nonce header, so no request can be signed. Check that the URL is an ACME server's.") { Server = DirectoryUrl };
    }

    private async Task<AcmeResponse> SendAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!;
        HttpResponseMessage message;
        try
        {
            message = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(url, what, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AcmeException(
                $"The ACME server at {url.Authority} did not answer within {Describe(_http.Timeout)} when asked to {what} ({url}). Check that step-ca is running and not stuck (its log says more).",
                innerException: e) { Server = DirectoryUrl, IsConnectionFailure = true };
        }

        using (message)
        {
            if (message.Headers.TryGetValues("Replay-Nonce", out var nonces))
            {
                foreach (var nonce in nonces)
                {
                    if (!string.IsNullOrWhiteSpace(nonce))
                    {
                        _nonces.Push(nonce.Trim());
                    }
                }
            }

            byte[] body;
            try
            {
                body = await message.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw Unreachable(url, what, e);
            }

            var location = message.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(url, l)) : null;
            var retryAfter = message.Headers.TryGetValues("Retry-After", out var retryValues)
                ? AcmeRetryAfter.Parse(retryValues.FirstOrDefault(), DateTimeOffset.UtcNow)
                : null;
            AcmeProblem? problem = null;
            if (!message.IsSuccessStatusCode)
            {
                var text = Encoding.UTF8.GetString(body);
                problem = message.Content.Headers.ContentType?.MediaType == ProblemJson || text.TrimStart().StartsWith('{')
                    ? AcmeProblem.Parse(text, message.StatusCode)
                    : null;
            }

            return new AcmeResponse(url, message.StatusCode, message.IsSuccessStatusCode, body, location, retryAfter, problem);
        }
    }

    private AcmeException Unreachable(Uri url, string what, HttpRequestException e)
    {
        var reason = Innermost(e);
        var advice = e.HttpRequestError switch
        {
            HttpRequestError.SecureConnectionError when e.InnerException is AuthenticationException =>
                "The server's TLS certificate is not trusted: give the root that signed it (--ca-bundle, e.g. step-ca's certs/root_ca.crt), or check that the URL's host is in its certificate.",
            HttpRequestError.NameResolutionError => "The host name does not resolve: use the address step-ca listens on, e.g. https://127.0.0.1:9000/acme/acme/directory.",
            _ => "Check that step-ca is running and listening there, and that the URL names it.",
        };
        return new AcmeException(
            $"Could not reach the ACME server at {url.Authority} to {what} ({url}): {reason}. {advice}",
            innerException: e) { Server = DirectoryUrl, IsConnectionFailure = true };
    }

    private static string Innermost(Exception e)
    {
        var messages = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            var message = x.Message.Replace(", see inner exception", "", StringComparison.Ordinal).Trim().TrimEnd('.');
            if (message.Length > 0 && !messages.Any(m => m.Contains(message, StringComparison.Ordinal)))
            {
                messages.Add(message);
            }
        }

        return string.Join(": ", messages);
    }

    private sealed record AcmeResponse(Uri Url, HttpStatusCode Status, bool IsSuccess, byte[] Body, Uri? Location, TimeSpan? RetryAfter, AcmeProblem? Problem);

    private readonly struct Deadline
    {
        private readonly long _start;

        private Deadline(TimeSpan total)
        {
            Total = total;
            _start = Stopwatch.GetTimestamp();
        }

        public TimeSpan Total { get; }

        public TimeSpan Remaining => Total - Stopwatch.GetElapsedTime(_start);

        public static Deadline In(TimeSpan total) => new(total);
    }
}
