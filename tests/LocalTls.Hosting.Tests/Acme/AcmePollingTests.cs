using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using LocalTls.Acme;

namespace LocalTls.Tests.Acme;

/// <summary>
/// The client's polling, which step-ca (validating and signing synchronously) never exercises: a scripted ACME
/// server that keeps resources pending or processing, with and without Retry-After, and answers orderNotReady.
/// </summary>
public class AcmePollingTests
{
    private static readonly Uri Directory = new("https://acme.test/directory");

    [Fact]
    public async Task A_processing_challenge_is_polled_honouring_retry_after_until_valid()
    {
        var server = new ScriptedAcmeServer { ChallengeStatus = "processing", AuthorizationPendingPolls = 2, RetryAfter = "1", OrderNotReadyOnce = true, FinalizeProcessingPolls = 1 };
        using var key = AcmeAccountKey.Create();
        using var client = new AcmeClient(Directory, key, new AcmeClientOptions { HttpMessageHandler = server });
        var stopwatch = Stopwatch.StartNew();

        var issued = await client.IssueAsync(["app.test"], new NullSolver(), new AcmeOrderOptions { Timeout = TimeSpan.FromSeconds(20) }, TestContext.Current.CancellationToken);

        // The challenge fetch, one pending poll answered with "Retry-After: 1", then valid; finalize refused once
        // (orderNotReady), the order polled to ready, finalize again, then one poll of the processing order answered
        // with "Retry-After: 1" before it is valid.
        Assert.Equal(3, server.AuthorizationPolls);
        Assert.Equal(2, server.FinalizeCalls);
        Assert.Equal(3, server.OrderPolls);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(8));
        Assert.Equal("https://acme.test/cert/1", issued.CertificateUrl.AbsoluteUri);
        Assert.Contains("-----BEGIN CERTIFICATE-----", issued.CertificateChainPem);
    }

    [Fact]
    public async Task Without_retry_after_the_client_backs_off_from_100_ms()
    {
        var server = new ScriptedAcmeServer { ChallengeStatus = "processing", AuthorizationPendingPolls = 4 };
        using var key = AcmeAccountKey.Create();
        using var client = new AcmeClient(Directory, key, new AcmeClientOptions { HttpMessageHandler = server });
        var stopwatch = Stopwatch.StartNew();

        await client.IssueAsync(["app.test"], new NullSolver(), null, TestContext.Current.CancellationToken);

        // The challenge fetch, then four polls 100, 200 and 400 ms apart.
        Assert.Equal(5, server.AuthorizationPolls);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(650), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_retry_after_beyond_the_deadline_is_cut_to_it_and_the_timeout_names_the_state()
    {
        var server = new ScriptedAcmeServer { ChallengeStatus = "processing", AuthorizationPendingPolls = int.MaxValue, RetryAfter = "3600" };
        using var key = AcmeAccountKey.Create();
        using var client = new AcmeClient(Directory, key, new AcmeClientOptions { HttpMessageHandler = server });
        var stopwatch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<AcmeException>(() => client.IssueAsync(["app.test"], new NullSolver(), new AcmeOrderOptions { Timeout = TimeSpan.FromSeconds(2) }, TestContext.Current.CancellationToken));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(5));
        Assert.True(e.IsTimeout);
        Assert.Null(e.Problem);
        Assert.Equal("The http-01 validation of app.test never completed within 2 s: the server left the challenge processing without an error. Check that the answer is reachable where the CA looks for it, or give a longer timeout.", e.Message);
    }

    [Fact]
    public async Task An_invalid_order_after_finalize_fails_with_its_problem()
    {
        var server = new ScriptedAcmeServer { FinalizeInvalid = true };
        using var key = AcmeAccountKey.Create();
        using var client = new AcmeClient(Directory, key, new AcmeClientOptions { HttpMessageHandler = server });

        var e = await Assert.ThrowsAsync<AcmeException>(() => client.IssueAsync(["app.test"], new NullSolver(), null, TestContext.Current.CancellationToken));

        Assert.Equal(AcmeProblem.BadCsr, e.Problem?.Type);
        Assert.Equal("The order https://acme.test/order/1 for app.test is invalid: names do not match (urn:ietf:params:acme:error:badCSR). The CA rejected the CSR: its names must be exactly the order's names.", e.Message);
    }

    private sealed class NullSolver : IAcmeChallengeSolver
    {
        public string ChallengeType => AcmeChallengeTypes.Http01;

        public Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A minimal in-memory ACME server for one order of one name; it does not check signatures.</summary>
    private sealed class ScriptedAcmeServer : HttpMessageHandler
    {
        private int _nonce;
        private string _orderStatus = "pending";
        private string? _orderError;
        private int _finalizeProcessingLeft;

        public string ChallengeStatus { get; init; } = "valid";

        public int AuthorizationPendingPolls { get; init; }

        public string? RetryAfter { get; init; }

        public bool OrderNotReadyOnce { get; init; }

        public int FinalizeProcessingPolls { get; init; }

        public bool FinalizeInvalid { get; init; }

        public int AuthorizationPolls { get; private set; }

        public int FinalizeCalls { get; private set; }

        public int OrderPolls { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (request.Method == HttpMethod.Post)
            {
                // The protected header's url must be the request URL.
                var jws = JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken)).RootElement;
                var header = JsonDocument.Parse(Base64Url.Decode(jws.GetProperty("protected").GetString()!)).RootElement;
                Assert.Equal(request.RequestUri.AbsoluteUri, header.GetProperty("url").GetString());
            }

            return path switch
            {
                "/directory" => Json(HttpStatusCode.OK, """{"newNonce":"https://acme.test/nonce","newAccount":"https://acme.test/account","newOrder":"https://acme.test/order"}"""),
                "/nonce" => Json(HttpStatusCode.OK, ""),
                "/account" => Json(HttpStatusCode.Created, """{"status":"valid"}""", location: "https://acme.test/account/1"),
                "/order" => Json(HttpStatusCode.Created, Order(), location: "https://acme.test/order/1"),
                "/authz/1" => Authorization(),
                "/chall/1" => Json(HttpStatusCode.OK, $$"""{"type":"http-01","url":"https://acme.test/chall/1","status":"{{ChallengeStatus}}","token":"tok"}"""),
                "/order/1/finalize" => Finalize(),
                "/order/1" => PollOrder(),
                "/cert/1" => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", Encoding.ASCII, "application/pem-certificate-chain") },
                _ => Json(HttpStatusCode.NotFound, """{"type":"urn:ietf:params:acme:error:malformed","detail":"no such resource"}""", problem: true),
            };
        }

        private HttpResponseMessage Authorization()
        {
            AuthorizationPolls++;
            var valid = AuthorizationPolls > AuthorizationPendingPolls;
            var status = valid ? "valid" : "pending";
            var challenge = valid ? "valid" : ChallengeStatus;
            var response = Json(HttpStatusCode.OK, $$"""{"identifier":{"type":"dns","value":"app.test"},"status":"{{status}}","challenges":[{"type":"http-01","url":"https://acme.test/chall/1","status":"{{challenge}}","token":"tok"}]}""");
            if (AuthorizationPolls == 1)
            {
                // The first fetch is the client reading the challenges, before it answers one.
                return Json(HttpStatusCode.OK, """{"identifier":{"type":"dns","value":"app.test"},"status":"pending","challenges":[{"type":"http-01","url":"https://acme.test/chall/1","status":"pending","token":"tok"}]}""");
            }

            if (!valid && RetryAfter is not null)
            {
                response.Headers.TryAddWithoutValidation("Retry-After", RetryAfter);
            }

            if (valid)
            {
                _orderStatus = "ready";
            }

            return response;
        }

        private HttpResponseMessage Finalize()
        {
            FinalizeCalls++;
            if (OrderNotReadyOnce && FinalizeCalls == 1)
            {
                _orderStatus = "ready";
                return Json(HttpStatusCode.Forbidden, """{"type":"urn:ietf:params:acme:error:orderNotReady","detail":"not yet"}""", problem: true);
            }

            if (FinalizeInvalid)
            {
                _orderStatus = "invalid";
                _orderError = """{"type":"urn:ietf:params:acme:error:badCSR","detail":"names do not match"}""";
                return Json(HttpStatusCode.OK, Order(), location: "https://acme.test/order/1");
            }

            _finalizeProcessingLeft = FinalizeProcessingPolls;
            _orderStatus = _finalizeProcessingLeft > 0 ? "processing" : "valid";
            var response = Json(HttpStatusCode.OK, Order(), location: "https://acme.test/order/1");
            response.Headers.TryAddWithoutValidation("Retry-After", "1");
            return response;
        }

        private HttpResponseMessage PollOrder()
        {
            OrderPolls++;
            if (_orderStatus == "processing" && _finalizeProcessingLeft-- <= 0)
            {
                _orderStatus = "valid";
            }

            var response = Json(HttpStatusCode.OK, Order(), location: "https://acme.test/order/1");
            if (_orderStatus == "processing")
            {
                response.Headers.TryAddWithoutValidation("Retry-After", "1");
            }

            return response;
        }

        private string Order() =>
            $$"""{"status":"{{_orderStatus}}","identifiers":[{"type":"dns","value":"app.test"}],"authorizations":["https://acme.test/authz/1"],"finalize":"https://acme.test/order/1/finalize"{{(_orderStatus == "valid" ? ",\"certificate\":\"https://acme.test/cert/1\"" : "")}}{{(_orderError is null ? "" : ",\"error\":" + _orderError)}}}""";

        private HttpResponseMessage Json(HttpStatusCode status, string body, string? location = null, bool problem = false)
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, problem ? "application/problem+json" : "application/json") };
            response.Headers.TryAddWithoutValidation("Replay-Nonce", $"nonce-{Interlocked.Increment(ref _nonce)}");
            if (location is not null)
            {
                response.Headers.Location = new Uri(location);
            }

            return response;
        }
    }
}
