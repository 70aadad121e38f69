using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalTls.Acme;

namespace LocalTls.Tests.Acme;

/// <summary>
/// What goes wrong between our client and the real step-ca: rejected nonces, a challenge that can never
/// validate, step-ca restarted in the middle of an order or killed, and account reuse across issuances.
/// </summary>
public class AcmeResilienceTests
{
    [Fact]
    public async Task A_badNonce_answer_is_retried_with_a_fresh_nonce_and_the_issuance_succeeds()
    {
        const string name = "nonce.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        using var handler = new NonceCorruptingHandler(corrupt: 1) { InnerHandler = AcmeClient.CreateHandler(bed.Material.RootCertificatePem) };

        var issued = await AcmeIssuance.IssueAsync([name], new Dns01ChallengeSolver(bed.Dns), bed.IssueOptions(handler: handler), ct);

        Assert.True(handler.Corrupted == 1 && handler.BadNonceAnswers == 1 && issued.BadNonceRetries == 1, $"corrupted {handler.Corrupted}, badNonce answers {handler.BadNonceAnswers}, retries {issued.BadNonceRetries}. {bed.LogTail()}");
        AcmeCheck.WithDotNetChain(bed, issued);
    }

    [Fact]
    public async Task A_server_that_rejects_every_nonce_fails_after_the_bounded_retries_with_the_problem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        using var handler = new NonceCorruptingHandler(corrupt: int.MaxValue) { InnerHandler = AcmeClient.CreateHandler(bed.Material.RootCertificatePem) };
        using var key = AcmeAccountKey.Create();
        using var client = new AcmeClient(bed.DirectoryUri, key, new AcmeClientOptions { HttpMessageHandler = handler, BadNonceRetries = 3 });

        var e = await Assert.ThrowsAsync<AcmeException>(() => client.CreateAccountAsync(cancellationToken: ct));

        Assert.Equal(AcmeProblem.BadNonce, e.Problem?.Type);
        Assert.Equal(4, handler.BadNonceAnswers);
        Assert.Equal(3, client.BadNonceRetryCount);
        Assert.Contains("Could not create the ACME account", e.Message);
        Assert.Contains("rejected the nonce 4 times in a row", e.Message);
    }

    [Fact]
    public async Task A_challenge_that_can_never_validate_fails_within_the_timeout_with_the_error_step_ca_attached()
    {
        // app.127.0.0.2.sslip.io resolves to 127.0.0.2, where nothing listens on port 80: step-ca 0.19.0 keeps the
        // challenge pending with a connection error, and only the client's bound ends the wait.
        const string name = "app.127.0.0.2.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        Assert.False(await Port80.AcceptsAsync(IPAddress.Parse("127.0.0.2")), "Something accepts connections on 127.0.0.2:80, so this challenge could validate; stop it and run the test again.");
        await using var http = Http01ChallengeServer.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var timeout = TimeSpan.FromSeconds(5);
        var stopwatch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<AcmeException>(() => AcmeIssuance.IssueAsync([name], http, bed.IssueOptions(timeout: timeout), ct));

        stopwatch.Stop();
        Assert.InRange(stopwatch.Elapsed, timeout - TimeSpan.FromMilliseconds(100), timeout + TimeSpan.FromSeconds(3));
        Assert.True(e.IsTimeout, e.ToString());
        Assert.Equal(AcmeProblem.Connection, e.Problem?.Type);
        Assert.Contains($"The http-01 validation of {name} never completed within 5 s", e.Message);
        Assert.Contains("left the challenge pending with this error attached", e.Message);
        Assert.Contains("The server could not connect to validation target (urn:ietf:params:acme:error:connection)", e.Message);
        Assert.Contains("or use dns-01", e.Message);

        // The client asked step-ca to try again while it waited (step-ca validates only when the challenge is posted).
        var posts = bed.Log.Count(l => l.Contains("path=/acme/acme/challenge/", StringComparison.Ordinal));
        Assert.True(posts >= 2, $"expected the challenge to be posted more than once, saw {posts}. {bed.LogTail()}");
    }

    [Fact]
    public async Task Step_ca_restarted_in_the_middle_of_an_order_keeps_the_order_and_the_issuance_succeeds()
    {
        const string name = "restart.127.0.0.1.sslip.io";
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var firstPid = bed.Ca.ProcessId;
        Uri? authorizationUrl = null;
        var solver = new HookSolver(new Dns01ChallengeSolver(bed.Dns), async work =>
        {
            // The order and its authorization exist in step-ca's badger database; restart step-ca now.
            authorizationUrl = work.Authorization.Url;
            await bed.RestartAsync(ct);
        });

        var issued = await AcmeIssuance.IssueAsync([name], solver, bed.IssueOptions(), ct);

        Assert.NotEqual(firstPid, bed.Ca.ProcessId);
        Assert.Equal(1, solver.Calls);
        AcmeCheck.WithDotNetChain(bed, issued);
        // The restarted step-ca validated the challenge of the order the first one created.
        var restarted = bed.Log.SkipWhile(l => !l.Contains("--- step-ca started again ---", StringComparison.Ordinal)).ToList();
        Assert.Contains(restarted, l => l.Contains("path=/acme/acme/challenge/" + authorizationUrl!.Segments[^1], StringComparison.Ordinal));
        Assert.Contains(restarted, l => l.Contains("path=" + issued.OrderUrl.AbsolutePath + "/finalize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Step_ca_killed_fails_with_a_connection_error_naming_the_server_and_a_new_issuance_works_after_a_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var options = bed.IssueOptions(timeout: TimeSpan.FromSeconds(20));
        var solver = new Dns01ChallengeSolver(bed.Dns);
        var first = await AcmeIssuance.IssueAsync(["before.127.0.0.1.sslip.io"], solver, options, ct);
        await bed.KillAsync();
        var stopwatch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<AcmeException>(() => AcmeIssuance.IssueAsync(["during.127.0.0.1.sslip.io"], solver, options, ct));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"a refused connection should fail at once, took {stopwatch.Elapsed}");
        Assert.True(e.IsConnectionFailure, e.ToString());
        Assert.Null(e.Problem);
        Assert.Contains($"Could not reach the ACME server at 127.0.0.1:{bed.Port}", e.Message);
        Assert.Contains("Connection refused", e.Message);
        Assert.Contains("Check that step-ca is running", e.Message);

        await bed.StartAgainAsync(ct);
        var after = await AcmeIssuance.IssueAsync(["after.127.0.0.1.sslip.io"], solver, options, ct);
        Assert.Equal(first.AccountUrl, after.AccountUrl);
        AcmeCheck.WithDotNetChain(bed, after);
    }

    [Fact]
    public async Task The_second_issuance_with_the_same_ca_store_reuses_the_account()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var caRoot = bed.Temp.Combine("store");
        var solver = new Dns01ChallengeSolver(bed.Dns);

        var first = await AcmeIssuance.IssueAsync(["one.127.0.0.1.sslip.io"], solver, bed.IssueOptions(caRoot), ct);
        var second = await AcmeIssuance.IssueAsync(["two.127.0.0.1.sslip.io"], solver, bed.IssueOptions(caRoot), ct);

        Assert.Equal(first.AccountUrl, second.AccountUrl);
        var keyPath = Path.Combine(caRoot, "acme", $"127.0.0.1-{bed.Port}", "account.key");
        Assert.Equal(keyPath, AcmeIssuance.ResolveAccountKeyPath(bed.IssueOptions(caRoot)));
        Assert.True(File.Exists(keyPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        }

        // onlyReturnExisting finds the account for the stored key, and none for a new key.
        using var key = AcmeAccountKey.FromPem(File.ReadAllText(keyPath));
        using var client = new AcmeClient(bed.DirectoryUri, key, new AcmeClientOptions { TrustedRootsPem = bed.Material.RootCertificatePem });
        var found = await client.FindAccountAsync(ct);
        Assert.NotNull(found);
        Assert.Equal(first.AccountUrl, found.Url);
        Assert.Equal(AcmeStatus.Valid, found.Status);
        using var stranger = AcmeAccountKey.Create();
        using var strangerClient = new AcmeClient(bed.DirectoryUri, stranger, new AcmeClientOptions { TrustedRootsPem = bed.Material.RootCertificatePem });
        Assert.Null(await strangerClient.FindAccountAsync(ct));
        Assert.Null(strangerClient.AccountUrl);

        // A different store means a different key, so a different account.
        var third = await AcmeIssuance.IssueAsync(["three.127.0.0.1.sslip.io"], solver, bed.IssueOptions(bed.Temp.Combine("other-store")), ct);
        Assert.NotEqual(first.AccountUrl, third.AccountUrl);
    }

    [Fact]
    public async Task A_server_certificate_from_another_root_is_refused_with_what_to_trust()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bed = await AcmeTestbed.StartAsync(ct);
        var stranger = LocalTls.Pki.CaGenerator.Create(new LocalTls.Pki.CaOptions { RootCommonName = "Stranger Root" }).RootCertificatePem;
        var options = bed.IssueOptions();

        var e = await Assert.ThrowsAsync<AcmeException>(() => AcmeIssuance.IssueAsync(
            ["x.127.0.0.1.sslip.io"], new Dns01ChallengeSolver(bed.Dns),
            new AcmeIssueOptions { DirectoryUrl = options.DirectoryUrl, CaRoot = options.CaRoot, Client = new AcmeClientOptions { TrustedRootsPem = stranger } },
            ct));

        Assert.True(e.IsConnectionFailure);
        Assert.Contains("TLS certificate is not trusted", e.Message);
        Assert.Contains("--ca-bundle", e.Message);
    }

    /// <summary>Corrupts the nonce in the protected header of the first <c>corrupt</c> POSTs, so step-ca answers badNonce.</summary>
    private sealed class NonceCorruptingHandler(int corrupt) : DelegatingHandler
    {
        private int _corrupted;
        private int _badNonceAnswers;

        public int Corrupted => _corrupted;

        public int BadNonceAnswers => _badNonceAnswers;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && _corrupted < corrupt)
            {
                _corrupted++;
                var jws = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
                var header = JsonNode.Parse(Base64Url.Decode(jws["protected"]!.GetValue<string>()))!.AsObject();
                header["nonce"] = "corrupted-" + header["nonce"]!.GetValue<string>();
                jws["protected"] = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString()));
                var content = new StringContent(jws.ToJsonString());
                content.Headers.ContentType = request.Content.Headers.ContentType;
                request.Content = content;
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (body.Contains(AcmeProblem.BadNonce, StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _badNonceAnswers);
                }
            }

            return response;
        }
    }

    /// <summary>Runs a hook before the first challenge is published.</summary>
    private sealed class HookSolver(IAcmeChallengeSolver inner, Func<AcmeChallengeWork, Task> beforeFirst) : IAcmeChallengeSolver
    {
        public int Calls { get; private set; }

        public string ChallengeType => inner.ChallengeType;

        public async Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken)
        {
            if (Calls++ == 0)
            {
                await beforeFirst(work);
            }

            await inner.PrepareAsync(work, cancellationToken);
        }

        public Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken) => inner.CleanupAsync(work, cancellationToken);
    }
}
