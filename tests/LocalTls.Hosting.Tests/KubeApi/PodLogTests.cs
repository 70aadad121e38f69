using System.Net;
using System.Text.Json.Nodes;
using k8s;

namespace LocalTls.Tests.KubeApi;

/// <summary>Pod logs as KubernetesClient reads them (the step-ca resource streams its pod's log into the console).</summary>
public class PodLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task CreatePodAsync(KubeApiDouble.KubeApiServer server, params string[] containers)
    {
        var list = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = "smallstep/step-ca:0.30.0" })]);
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "step-ca-0" },
            ["spec"] = new JsonObject { ["containers"] = list },
        };
        var (code, body) = await server.SendAsync("POST", "/api/v1/namespaces/default/pods", pod);
        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
    }

    [Fact]
    public async Task The_log_so_far_and_its_tail_are_served_as_text()
    {
        await using var server = await DoubleClient.StartAsync();
        await CreatePodAsync(server, "step-ca");
        server.PodLogs.Write("default", "step-ca-0", "badger 2025/12/02 INFO: All 0 tables opened in 0s");
        server.PodLogs.Write("default", "step-ca-0", "2025/12/02 Serving HTTPS on :9000 ...");
        var client = server.CreateClient();

        using var all = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync("step-ca-0", "default", cancellationToken: Ct));
        Assert.Equal("badger 2025/12/02 INFO: All 0 tables opened in 0s\n2025/12/02 Serving HTTPS on :9000 ...\n", await all.ReadToEndAsync(Ct));
        using var tail = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync("step-ca-0", "default", tailLines: 1, cancellationToken: Ct));
        Assert.Equal("2025/12/02 Serving HTTPS on :9000 ...\n", await tail.ReadToEndAsync(Ct));
    }

    [Fact]
    public async Task Following_streams_new_lines_until_the_container_ends()
    {
        await using var server = await DoubleClient.StartAsync();
        await CreatePodAsync(server, "step-ca");
        server.PodLogs.Write("default", "step-ca-0", "starting");
        using var stream = new StreamReader(await server.CreateClient().CoreV1.ReadNamespacedPodLogAsync("step-ca-0", "default", follow: true, cancellationToken: Ct));

        Assert.Equal("starting", await stream.ReadLineAsync(Ct));
        server.PodLogs.Write("default", "step-ca-0", "Serving HTTPS on :9000 ...");
        Assert.Equal("Serving HTTPS on :9000 ...", await stream.ReadLineAsync(Ct));
        server.PodLogs.Close("default", "step-ca-0");
        Assert.Null(await stream.ReadLineAsync(Ct));
    }

    [Fact]
    public async Task A_missing_pod_is_404_and_a_pod_with_two_containers_needs_one_named()
    {
        await using var server = await DoubleClient.StartAsync();
        var (missing, status) = await server.SendAsync("GET", "/api/v1/namespaces/default/pods/nope/log");
        Assert.Equal((HttpStatusCode.NotFound, "pods \"nope\" not found"), (missing, (string?)status["message"]));

        await CreatePodAsync(server, "step-ca", "sidecar");
        var (ambiguous, message) = await server.SendAsync("GET", "/api/v1/namespaces/default/pods/step-ca-0/log");
        Assert.Equal(HttpStatusCode.BadRequest, ambiguous);
        Assert.Equal("a container name must be specified for pod step-ca-0, choose one of: [step-ca sidecar]", (string?)message["message"]);
        server.PodLogs.Write("default", "step-ca-0", "from the sidecar", container: "sidecar");
        using var http = server.CreateHttpClient();
        Assert.Equal("from the sidecar\n", await http.GetStringAsync("/api/v1/namespaces/default/pods/step-ca-0/log?container=sidecar", Ct));
    }
}
