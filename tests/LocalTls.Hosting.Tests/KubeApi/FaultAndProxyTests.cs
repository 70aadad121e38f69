using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LocalTls.KubeApiDouble;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalTls.Tests.KubeApi;

/// <summary>The hooks tests use to make the API misbehave, and the service proxy.</summary>
public class FaultAndProxyTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_next_matching_request_fails_500_and_the_one_after_succeeds()
    {
        await using var server = await DoubleClient.StartAsync();
        server.Faults.FailNext(r => r.Method == "GET" && r.Path.Value!.EndsWith("/configmaps", StringComparison.Ordinal), count: 1, message: "etcdserver: leader changed");

        var (first, status) = await server.SendAsync("GET", ConfigMaps);
        var (other, _) = await server.SendAsync("GET", "/api/v1/namespaces/default/secrets");
        var (second, _) = await server.SendAsync("GET", ConfigMaps);

        Assert.Equal((HttpStatusCode.InternalServerError, "InternalError", "etcdserver: leader changed"), (first, (string?)status["reason"], (string?)status["message"]));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (other, second));
    }

    [Fact]
    public async Task Any_Status_can_be_injected_such_as_a_409_on_the_next_apply()
    {
        await using var server = await DoubleClient.StartAsync();
        var type = server.Api.FindType("", "v1", "configmaps")!;
        server.Faults.AnswerNext(r => r.Method == "PATCH", ApiError.StaleResourceVersion(type, "c"));

        var (first, status) = await server.SendAsync("PATCH", ConfigMaps + "/c?fieldManager=localtls", DoubleClient.ConfigMap("c"), "application/apply-patch+yaml");
        var (second, _) = await server.SendAsync("PATCH", ConfigMaps + "/c?fieldManager=localtls", DoubleClient.ConfigMap("c"), "application/apply-patch+yaml");

        Assert.Equal((HttpStatusCode.Conflict, "Conflict", "configmaps"), (first, (string?)status["reason"], (string?)status["details"]!["kind"]));
        Assert.Equal(HttpStatusCode.Created, second);
    }

    [Fact]
    public async Task Throttled_requests_answer_429_with_Retry_After()
    {
        await using var server = await DoubleClient.StartAsync();
        server.Faults.ThrottleNext(_ => true, count: 2, retryAfterSeconds: 3);
        using var http = server.CreateHttpClient();

        using var first = await http.GetAsync(ConfigMaps, Ct);
        using var second = await http.GetAsync(ConfigMaps, Ct);
        using var third = await http.GetAsync(ConfigMaps, Ct);

        Assert.Equal((HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK), (first.StatusCode, second.StatusCode, third.StatusCode));
        Assert.Equal(TimeSpan.FromSeconds(3), first.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task A_server_that_goes_down_refuses_connections_and_comes_back_on_the_same_port_with_its_objects()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", ConfigMaps, DoubleClient.ConfigMap("kept"));
        var url = server.Url;

        await server.GoDownAsync();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => server.SendAsync("GET", ConfigMaps + "/kept"));
        Assert.Equal(SocketError.ConnectionRefused, (refused.InnerException as SocketException)?.SocketErrorCode);

        await server.ComeBackAsync();
        Assert.Equal(url, server.Url);
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync("GET", ConfigMaps + "/kept")).Code);
    }

    [Fact]
    public async Task A_delay_on_dry_run_requests_slows_those_only()
    {
        await using var server = await DoubleClient.StartAsync();
        server.Faults.DelayNext(Faults.IsDryRun, TimeSpan.FromSeconds(1.5));

        var plain = Stopwatch.StartNew();
        await server.SendAsync("POST", ConfigMaps, DoubleClient.ConfigMap("a"));
        plain.Stop();
        var dry = Stopwatch.StartNew();
        var (code, _) = await server.SendAsync("POST", ConfigMaps + "?dryRun=All", DoubleClient.ConfigMap("b"));
        dry.Stop();

        Assert.Equal(HttpStatusCode.Created, code);
        Assert.True(dry.Elapsed >= TimeSpan.FromSeconds(1.4), $"dry run took {dry.Elapsed}");
        Assert.True(plain.Elapsed < TimeSpan.FromSeconds(1.4), $"plain create took {plain.Elapsed}");
    }

    [Fact]
    public async Task The_request_log_counts_writes_apart_from_reads_and_dry_runs()
    {
        await using var server = await DoubleClient.StartAsync();
        server.Requests.Clear();
        await server.SendAsync("POST", ConfigMaps, DoubleClient.ConfigMap("a"));
        await server.SendAsync("GET", ConfigMaps + "/a");
        await server.SendAsync("POST", ConfigMaps + "?dryRun=All", DoubleClient.ConfigMap("b"));
        await server.SendAsync("DELETE", ConfigMaps + "/a");

        var log = server.Requests.Snapshot();
        Assert.Equal(
            ["POST /api/v1/namespaces/default/configmaps 201", "GET /api/v1/namespaces/default/configmaps/a 200",
             "POST /api/v1/namespaces/default/configmaps?dryRun=All 201", "DELETE /api/v1/namespaces/default/configmaps/a 200"],
            log.Select(r => r.ToString()));
        Assert.Equal([true, false, false, true], log.Select(r => r.IsMutating));
    }

    [Theory]
    [InlineData("step-ca:9000")]
    [InlineData("https:step-ca:9000")]
    public async Task The_service_proxy_forwards_to_the_registered_backend(string service)
    {
        await using var server = await DoubleClient.StartAsync();
        await using var backend = await BackendAsync();
        server.Proxy.Register("step-ca", "step-ca", "9000", new Uri(backend.Urls.First()));

        using var http = server.CreateHttpClient();
        using var response = await http.GetAsync($"/api/v1/namespaces/step-ca/services/{service}/proxy/health?probe=1", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok","query":"?probe=1"}""", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_service_proxy_answers_503_without_a_backend_or_when_it_is_down()
    {
        await using var server = await DoubleClient.StartAsync();
        var (none, status) = await server.SendAsync("GET", "/api/v1/namespaces/step-ca/services/step-ca:9000/proxy/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, none);
        Assert.Equal("no endpoints available for service \"step-ca:9000\"", (string?)status["message"]);

        var backend = await BackendAsync();
        var url = new Uri(backend.Urls.First());
        await backend.DisposeAsync();
        server.Proxy.Register("step-ca", "step-ca", "9000", url);
        var (down, _) = await server.SendAsync("GET", "/api/v1/namespaces/step-ca/services/step-ca:9000/proxy/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
    }

    private static async Task<WebApplication> BackendAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/health", (HttpContext c) => Results.Json(new { status = "ok", query = c.Request.QueryString.Value }));
        await app.StartAsync(Ct);
        return app;
    }
}
