using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using k8s;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

using static LocalTls.Tests.Cluster.ClusterApp;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// Through the whole Aspire path against the double (real step-ca, cert-manager stand-in): no ingress controller,
/// a dropped watch and a slow webhook each end in a clear state and then recover by themselves, never a crash.
/// </summary>
public class ClusterFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_an_ingress_controller_issuers_and_certificates_wait_with_the_command_to_run_and_go_on_when_an_IngressClass_appears()
    {
        ClusterTarget.RetryInterval = TimeSpan.FromSeconds(1);
        await using var cluster = await DoubleCluster.StartAsync(ingressClass: false);
        await using var app = await Seed(cluster.Kubeconfig, cluster.CaStore).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var issuer = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text == KnownResourceStates.Waiting && Property(e, "localtls.problem")?.Contains("ingress controller", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.Contains("no IngressClass", Property(issuer, "localtls.problem"));
        Assert.Contains("helm install traefik traefik/traefik", Property(issuer, "localtls.problem"));
        var certificate = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => Property(e, "localtls.problem")?.Contains("ingress controller", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(KnownResourceStates.Waiting, certificate.Snapshot.State?.Text);
        // Nothing that would make cert-manager fail HTTP-01 challenges (and back off for hours) is applied yet.
        Assert.DoesNotContain(cluster.Server.Requests.Snapshot(), r => r.Method == "PATCH" && r.Path.Contains("/clusterissuers/", StringComparison.Ordinal));

        cluster.Server.AddTraefikIngressClass();
        var running = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text is "Running" or "Failed", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.True(running.Snapshot.State?.Text == KnownResourceStates.Running, Property(running, "localtls.problem"));
        var issued = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text is "Running" or "Failed", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.True(issued.Snapshot.State?.Text == KnownResourceStates.Running, Property(issued, "localtls.problem"));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task After_the_watches_drop_certificate_status_still_arrives_and_Renew_reaches_revision_2()
    {
        await using var cluster = await DoubleCluster.StartAsync(ingressClass: true);
        await using var app = await Seed(cluster.Kubeconfig, cluster.CaStore).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, "localtls.revision") == "1", Ct).WaitAsync(TimeSpan.FromSeconds(150), Ct);

        Assert.True(cluster.Server.DropWatches() > 0, "the certificate and issuer watches were open");
        var renew = await app.ResourceCommands.ExecuteCommandAsync("app-tls", ClusterTarget.RenewCommand, Ct);
        Assert.True(renew.Success, renew.Message);
        ResourceEvent renewed;
        try
        {
            renewed = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, "localtls.revision") == "2", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        }
        catch (TimeoutException)
        {
            // Say which side stopped: the cluster's Certificate (cert-manager's work) or the dashboard (the watch).
            var certificate = System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(await cluster.Server.CreateClient().CustomObjects.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", "default", "certificates", "app-tls", Ct)));
            app.ResourceNotifications.TryGetCurrentState("app-tls", out var shown);
            Assert.Fail($"No revision 2 within 120 s. Cluster: status {certificate?["status"]?.ToJsonString()}. Dashboard: {shown?.Snapshot.State?.Text}, revision {(shown is null ? null : Property(shown, "localtls.revision"))}, problem {(shown is null ? null : Property(shown, "localtls.problem"))}.");
            throw;
        }

        Assert.Equal("2", Property(renewed, "localtls.revision"));
        // Resumed from its resourceVersion, not listed again: the status watcher listed the certificates once, before its first watch.
        Assert.Single(cluster.Server.Requests.Snapshot(), r => r.Method == "GET" && r.Path == "/apis/cert-manager.io/v1/certificates" && r.Query.Length == 0);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_slow_cert_manager_webhook_reads_Waiting_then_the_issuer_turns_Running()
    {
        ClusterTarget.RetryInterval = TimeSpan.FromSeconds(1);
        ClusterTarget.WebhookTimeout = TimeSpan.FromSeconds(3);
        await using var cluster = await DoubleCluster.StartAsync(ingressClass: true);
        cluster.Server.Faults.DelayNext(Faults.IsDryRun, TimeSpan.FromSeconds(10), count: 2);
        await using var app = await Seed(cluster.Kubeconfig, cluster.CaStore).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var waiting = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text == KnownResourceStates.Waiting && Property(e, "localtls.problem") is not null, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.Contains("webhook did not answer", Property(waiting, "localtls.problem"));
        var running = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text is "Running" or "Failed", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.True(running.Snapshot.State?.Text == KnownResourceStates.Running, Property(running, "localtls.problem"));
        Assert.Equal(KnownResourceStates.Running, (await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct)).Snapshot.State?.Text);
        await app.StopAsync(Ct);
    }
}
