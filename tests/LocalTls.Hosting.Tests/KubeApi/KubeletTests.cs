using System.Net;
using System.Text.Json.Nodes;
using k8s;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.StepCa;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.StepCa;

namespace LocalTls.Tests.KubeApi;

/// <summary>
/// The double's kubelet stand-in: the step-ca Deployment LocalTls renders, once applied, runs the real step-ca, becomes
/// Ready through its own readiness probe, logs into its pod's log, and answers through the Service proxy.
/// </summary>
public class KubeletTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var value = await read();
        for (var i = 0; i < 150 && !done(value); i++)
        {
            await Task.Delay(200, Ct);
            value = await read();
        }

        Assert.True(done(value), $"{what} did not happen in 30 s");
        return value;
    }

    private static async Task ApplyStepCaAsync(KubeApiServer server, StepCaResource ca, string? keyPassword = null, Action<JsonObject>? change = null)
    {
        foreach (var obj in StepCaKubernetesRenderer.Render(ca, ModelFixtures.Ca.Value, keyPassword))
        {
            var json = ManifestYaml.ToJson(obj);
            change?.Invoke(json);
            var type = server.Api.Types().Single(t => t.ApiVersion == (string?)json["apiVersion"] && t.Kind == (string?)json["kind"]);
            var ns = type.Namespaced ? $"namespaces/{(string?)json["metadata"]!["namespace"]}/" : "";
            var prefix = type.Group.Length == 0 ? "/api/v1/" : $"/apis/{type.ApiVersion}/";
            var (code, body) = await server.SendAsync("PATCH", $"{prefix}{ns}{type.Plural}/{(string?)json["metadata"]!["name"]}?fieldManager=localtls", json, "application/apply-patch+yaml");
            Assert.True(code == HttpStatusCode.Created, $"{type.Kind}: {code} {body}");
        }
    }

    [Fact]
    public async Task The_applied_step_ca_Deployment_runs_becomes_Ready_and_answers_through_the_Service_proxy()
    {
        var ca = ModelFixtures.Seed().Ca;
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        await ApplyStepCaAsync(server, ca);

        var client = server.CreateClient();
        var deployment = await EventuallyAsync(
            () => client.AppsV1.ReadNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: Ct),
            d => d.Status?.ReadyReplicas == 1, "the Deployment becoming ready");
        Assert.Equal(deployment.Metadata.Generation, deployment.Status.ObservedGeneration);

        var pod = Assert.Single((await client.CoreV1.ListNamespacedPodAsync(ca.Namespace, labelSelector: "app.kubernetes.io/name=step-ca", cancellationToken: Ct)).Items);
        Assert.Equal("Running", pod.Status.Phase);
        Assert.True(pod.Status.ContainerStatuses.Single().Ready);

        using var http = server.CreateHttpClient();
        var health = await http.GetStringAsync($"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{ca.Port}/proxy/health", Ct);
        Assert.Equal("ok", (string?)JsonNode.Parse(health)!["status"]);

        using var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ca.Namespace, cancellationToken: Ct));
        Assert.Contains("Serving HTTPS on", await log.ReadToEndAsync(Ct), StringComparison.Ordinal);
        // A container that never restarted has no previous log, in the real server's words.
        var (noPrevious, refusal) = await server.SendAsync("GET", $"/api/v1/namespaces/{ca.Namespace}/pods/{pod.Metadata.Name}/log?previous=true");
        Assert.Equal(HttpStatusCode.BadRequest, noPrevious);
        Assert.Equal($"previous terminated container \"step-ca\" in pod \"{pod.Metadata.Name}\" not found", (string?)refusal["message"]);

        // Deleting the Deployment stops step-ca and removes its pod.
        await client.AppsV1.DeleteNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: Ct);
        await EventuallyAsync(
            async () => (await client.CoreV1.ListNamespacedPodAsync(ca.Namespace, cancellationToken: Ct)).Items.Count,
            count => count == 0, "the pod going away");
        var (gone, _) = await server.SendAsync("GET", $"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{ca.Port}/proxy/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, gone);
    }

    [Fact]
    public async Task An_encrypted_key_and_its_password_from_two_Secrets_in_one_projected_volume_start_step_ca()
    {
        var ca = ModelFixtures.Seed().Ca;
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        await ApplyStepCaAsync(server, ca, "correct horse battery staple");

        var client = server.CreateClient();
        var pod = (await EventuallyAsync(
            () => client.CoreV1.ListNamespacedPodAsync(ca.Namespace, cancellationToken: Ct),
            pods => pods.Items.Count == 1 && pods.Items[0].Status?.ContainerStatuses?.Single().Ready == true, "the pod becoming ready")).Items[0];
        var sources = pod.Spec.Volumes.Single(v => v.Name == "secrets").Projected.Sources.Select(s => s.Secret.Name);
        Assert.Equal([$"{ca.ServiceName}-secrets", $"{ca.ServiceName}-password"], sources);
        Assert.Contains("--password-file", pod.Spec.Containers.Single().Args);

        using var http = server.CreateHttpClient();
        var health = await http.GetStringAsync($"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{ca.Port}/proxy/health", Ct);
        Assert.Equal("ok", (string?)JsonNode.Parse(health)!["status"]);
    }

    [Fact]
    public async Task A_changed_pod_template_replaces_the_pod_and_step_ca_comes_back_with_its_database()
    {
        var ca = ModelFixtures.Seed().Ca;
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        await ApplyStepCaAsync(server, ca);
        var client = server.CreateClient();
        var first = (await EventuallyAsync(
            () => client.CoreV1.ListNamespacedPodAsync(ca.Namespace, cancellationToken: Ct),
            pods => pods.Items.Count == 1 && pods.Items[0].Status?.ContainerStatuses?.Single().Ready == true, "the first pod becoming ready")).Items[0];

        var restart = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject {
            ["annotations"] = new JsonObject { ["kubectl.kubernetes.io/restartedAt"] = "2026-12-02T00:00:00Z" } } } } };
        var (code, _) = await server.SendAsync("PATCH", $"/apis/apps/v1/namespaces/{ca.Namespace}/deployments/{ca.ServiceName}", restart, "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);

        var second = (await EventuallyAsync(
            () => client.CoreV1.ListNamespacedPodAsync(ca.Namespace, cancellationToken: Ct),
            pods => pods.Items.Count == 1 && pods.Items[0].Metadata.Name != first.Metadata.Name && pods.Items[0].Status?.ContainerStatuses?.Single().Ready == true,
            "a new pod replacing the first")).Items[0];
        Assert.NotEqual(first.Metadata.Name, second.Metadata.Name);
        using var http = server.CreateHttpClient();
        var health = await http.GetStringAsync($"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{ca.Port}/proxy/health", Ct);
        Assert.Equal("ok", (string?)JsonNode.Parse(health)!["status"]);
    }

    [Fact]
    public async Task A_step_ca_exiting_on_a_broken_ca_json_is_restarted_in_CrashLoopBackOff_with_a_doubling_back_off_and_its_previous_log()
    {
        var ca = ModelFixtures.Seed().Ca;
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        kubelet.BackOffBase = TimeSpan.FromMilliseconds(200);
        kubelet.MaxBackOff = TimeSpan.FromMilliseconds(1600);
        await ApplyStepCaAsync(server, ca, change: json =>
        {
            if ((string?)json["kind"] == "ConfigMap" && json["data"]?["ca.json"] is { } caJson)
            {
                var config = JsonNode.Parse((string)caJson!)!;
                config["root"] = "/home/step/nonexistent/root_ca.crt";
                json["data"]!["ca.json"] = config.ToJsonString();
            }
        });

        // Every back-off seen on the way says the wait the kubelet's rule gives for that restart count: 200ms doubling, at most 1.6s.
        var client = server.CreateClient();
        var seen = new List<(int Restarts, string Message)>();
        var pod = (await EventuallyAsync(
            () => client.CoreV1.ListNamespacedPodAsync(ca.Namespace, cancellationToken: Ct),
            pods =>
            {
                var status = pods.Items.SingleOrDefault()?.Status?.ContainerStatuses?.SingleOrDefault();
                if (status?.State?.Waiting is { Reason: "CrashLoopBackOff" } waiting)
                {
                    seen.Add((status.RestartCount, waiting.Message));
                }

                return status?.RestartCount >= 6 && status.State?.Waiting is not null;
            },
            "six restarts")).Items.Single();
        var container = pod.Status.ContainerStatuses.Single();
        Assert.Equal("Running", pod.Status.Phase);
        Assert.False(container.Ready);
        Assert.Equal("CrashLoopBackOff", container.State.Waiting.Reason);
        Assert.NotEqual(0, container.LastState.Terminated.ExitCode);
        Assert.Equal("Error", container.LastState.Terminated.Reason);
        Assert.True(container.LastState.Terminated.StartedAt <= container.LastState.Terminated.FinishedAt);
        foreach (var (restarts, message) in seen)
        {
            var delay = restarts switch { 1 => "200ms", 2 => "400ms", 3 => "800ms", _ => "1.6s" };
            Assert.Equal($"back-off {delay} restarting failed container=step-ca pod={pod.Metadata.Name}_{ca.Namespace}({pod.Metadata.Uid})", message);
        }

        Assert.Contains(seen, s => s.Message.StartsWith("back-off 1.6s ", StringComparison.Ordinal));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: Ct);
        Assert.Equal(0, deployment.Status.ReadyReplicas ?? 0);

        // The exited run's output is the previous log (also what a plain read gives during the back-off, as the kubelet serves it).
        using var previous = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ca.Namespace, previous: true, cancellationToken: Ct));
        Assert.Contains("nonexistent/root_ca.crt", await previous.ReadToEndAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(200, "200ms")]
    [InlineData(1600, "1.6s")]
    [InlineData(10_000, "10s")]
    [InlineData(80_000, "1m20s")]
    [InlineData(300_000, "5m0s")]
    public void The_back_off_message_prints_durations_as_Go_does(int milliseconds, string printed) =>
        Assert.Equal(printed, Kubelet.GoDuration(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [MemberData(nameof(KubectlTests.Versions), MemberType = typeof(KubectlTests))]
    public async Task Kubectl_rollout_status_logs_and_the_raw_proxy_see_step_ca_running(string version)
    {
        var kubectl = Kubectl.Require(version);
        TestContext.Current.TestOutputHelper?.WriteLine($"{version}: {kubectl}");
        var ca = ModelFixtures.Seed().Ca;
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        using var home = new TestSupport.TempDirectory();
        server.WriteKubeconfig(home.Combine("kubeconfig"));
        await ApplyStepCaAsync(server, ca);

        var rollout = await Kubectl.RunAsync(kubectl, home, "-n", ca.Namespace, "rollout", "status", $"deployment/{ca.ServiceName}", "--timeout=30s");
        Assert.True(rollout.ExitCode == 0, rollout.Output);
        Assert.Contains("successfully rolled out", rollout.Stdout, StringComparison.Ordinal);
        var health = await Kubectl.RunAsync(kubectl, home, "get", "--raw", $"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{ca.Port}/proxy/health");
        Assert.Equal("ok", (string?)JsonNode.Parse(health.Stdout)!["status"]);
        var logs = await Kubectl.RunAsync(kubectl, home, "-n", ca.Namespace, "logs", $"deployment/{ca.ServiceName}");
        Assert.True(logs.ExitCode == 0, logs.Output);
        Assert.Contains("Serving HTTPS on", logs.Stdout, StringComparison.Ordinal);
    }
}
