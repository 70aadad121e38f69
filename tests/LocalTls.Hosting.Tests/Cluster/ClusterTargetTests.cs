using System.Net;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using k8s;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using Microsoft.Extensions.DependencyInjection;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

using static LocalTls.Tests.Cluster.ClusterApp;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// The cluster target at run time, against the Kubernetes API double with the real step-ca behind it (the double's
/// kubelet stand-in runs the applied Deployment): connect, server-side apply, rollout and /health through the service
/// proxy, the cert-manager gate, and an unchanged re-run that changes nothing.
/// </summary>
public class ClusterTargetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Asserts the property is in the dashboard's default details view (highlighted, with a label) and returns its value.</summary>
    private static string Shown(ResourceEvent e, string name, string label)
    {
        var property = e.Snapshot.Properties.SingleOrDefault(p => p.Name == name);
        Assert.True(property is not null, $"'{e.Resource.Name}' has no {name}; it has {string.Join(", ", e.Snapshot.Properties.Select(p => p.Name))}");
        Assert.True(property.IsHighlighted, $"{name} of '{e.Resource.Name}' is only under 'Show all'");
        Assert.Equal(label, property.DisplayName);
        return property.Value?.ToString() ?? "";
    }

    private const string RelativeAndUtc = @"^in \d+ (d|h|min)( \d+ (h|min))? \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$";

    private static async Task<X509Certificate2> ServedAsync(string kubeconfig, string secret)
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var read = await client.CoreV1.ReadNamespacedSecretAsync(secret, "default", cancellationToken: Ct);
        return X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(read.Data["tls.crt"]));
    }

    [Fact]
    public async Task Run_mode_provisions_step_ca_into_the_cluster_shows_it_running_and_waits_for_cert_manager_with_the_install_command()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        await using var app = await Seed(kubeconfig, dir.Combine("caroot")).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var cluster = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        // What a person needs about the cluster is in the default view, labelled.
        Assert.Equal("kube-api-double", Shown(cluster, "localtls.context", "Context"));
        Assert.Matches(@"^https?://127\.0\.0\.1:\d+", Shown(cluster, "localtls.server", "API server"));
        Assert.NotEmpty(Shown(cluster, "localtls.kubernetesVersion", "Kubernetes version"));
        Assert.Matches(@"^\d+$", Shown(cluster, "localtls.nodes", "Nodes"));
        Assert.Equal("192.168.5.2", Shown(cluster, "localtls.ingressAddress", "Ingress address"));
        Assert.NotEmpty(Shown(cluster, "localtls.discoveredIngressClass", "Discovered ingress class"));
        await app.ResourceNotifications.WaitForResourceHealthyAsync("k3s", Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        var ca = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        Assert.Equal("https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory", Shown(ca, "localtls.acmeDirectory", "ACME directory"));
        Assert.Equal(new LocalTls.Pki.CaStore(dir.Combine("caroot")).Load().RootFingerprint, Shown(ca, "localtls.rootFingerprint", "Root fingerprint"));
        Assert.Equal("Running", Property(ca, "localtls.podPhase"));
        Assert.Equal("step-ca", Shown(ca, "localtls.namespace", "Namespace"));
        Assert.StartsWith("step-ca-", Shown(ca, "localtls.pod", "Pod"));
        Assert.Equal("0", Shown(ca, "localtls.restarts", "Restarts"));
        Assert.Contains("step-ca", Shown(ca, "localtls.image", "Image"));

        // Without cert-manager, issuers and certificates wait and say how to install it; nothing of theirs is applied.
        var issuer = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text == KnownResourceStates.Waiting && Property(e, "localtls.problem") is not null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Contains("not installed", Property(issuer, "localtls.problem"));
        Assert.Contains(ClusterTarget.InstallCertManager, Property(issuer, "localtls.problem"));
        var certificate = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Waiting, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Contains("cert-manager", Property(certificate, "localtls.problem"));

        var client = server.CreateClient();
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("step-ca", "step-ca", cancellationToken: Ct);
        Assert.Contains(deployment.Metadata.ManagedFields, f => f.Manager == ClusterTarget.FieldManager && f.Operation == "Apply");
        var secret = await client.CoreV1.ReadNamespacedSecretAsync("step-ca-secrets", "step-ca", cancellationToken: Ct);
        Assert.DoesNotContain(secret.Data.Keys, k => k.Contains("root_ca_key", StringComparison.Ordinal));

        // step-ca's pod log streams into the CA's console log.
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<string>();
        for (var attempt = 0; attempt < 50 && !lines.Any(l => l.Contains("Serving HTTPS on", StringComparison.Ordinal)); attempt++)
        {
            lines.Clear();
            await foreach (var batch in logs.GetAllAsync("step-ca").WithCancellation(Ct))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }

            await Task.Delay(200, Ct);
        }

        Assert.Contains(lines, l => l.Contains("Serving HTTPS on", StringComparison.Ordinal));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_crash_looping_step_ca_shows_as_CrashLoopBackOff_with_restarts_exit_code_and_its_last_log_line_while_the_rollout_waits()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        kubelet.BackOffBase = TimeSpan.FromMilliseconds(200);
        // Whatever LocalTls applies, step-ca's ca.json names a root that is not there, so the real step-ca exits at start.
        server.Api.Admission.AddMutatingWebhook("break-ca-json.test", t => t.Kind == "ConfigMap", (configMap, _) =>
        {
            if ((string?)configMap["metadata"]?["name"] == "step-ca-config" && configMap["data"]?["ca.json"] is { } caJson)
            {
                var config = System.Text.Json.Nodes.JsonNode.Parse((string)caJson!)!;
                config["root"] = "/home/step/crash-loop/root_ca.crt";
                configMap["data"]!["ca.json"] = config.ToJsonString();
            }
        });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        await using var app = await Seed(kubeconfig, dir.Combine("caroot")).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        var crashing = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == ClusterTarget.CrashLoopBackOff && int.TryParse(Property(e, "localtls.restarts"), out var n) && n >= 2, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        Assert.Equal(KnownResourceStateStyles.Error, crashing.Snapshot.State?.Style);
        Assert.Equal("Running", Property(crashing, "localtls.podPhase"));
        var problem = Property(crashing, "localtls.problem");
        var restarts = Property(crashing, "localtls.restarts");
        Assert.StartsWith($"step-ca keeps exiting ({restarts} restarts, last exit code ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("last exit code 0)", problem, StringComparison.Ordinal);
        // Its last line is the one step-ca printed before it exited, read from the exited run's log.
        var pod = Property(crashing, "localtls.pod");
        using var http = server.CreateHttpClient();
        var previous = (await http.GetStringAsync($"/api/v1/namespaces/step-ca/pods/{pod}/log?previous=true", Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(previous, l => l.Contains("crash-loop/root_ca.crt", StringComparison.Ordinal));
        Assert.Contains($"): {previous[^1]}. ", problem, StringComparison.Ordinal);
        Assert.Contains($"kubectl -n step-ca logs {pod} --previous", problem, StringComparison.Ordinal);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_step_ca_that_starts_crashing_after_it_ran_shows_CrashLoopBackOff_live_and_Running_again_when_it_recovers()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        var kubeletRoot = dir.Combine("kubelet");
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path }, kubeletRoot);
        kubelet.BackOffBase = TimeSpan.FromMilliseconds(200);
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        await using var app = await Seed(kubeconfig, dir.Combine("caroot")).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);

        // The pod's ca.json broken on disk (as a bad volume would), then its process ends: every restart now fails.
        var caJson = Directory.GetFiles(Path.Combine(kubeletRoot, "step-ca"), "ca.json", SearchOption.AllDirectories).Single();
        var good = File.ReadAllText(caJson);
        var config = System.Text.Json.Nodes.JsonNode.Parse(good)!;
        config["root"] = "/nonexistent/root_ca.crt";
        File.WriteAllText(caJson, config.ToJsonString());
        var podFolder = Path.GetDirectoryName(caJson)!;
        var running = System.Diagnostics.Process.GetProcessesByName("step-ca").Single(p => File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(podFolder, StringComparison.Ordinal));
        running.Kill();

        var crashing = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == ClusterTarget.CrashLoopBackOff && int.TryParse(Property(e, "localtls.restarts"), out var n) && n >= 2, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        Assert.Contains("step-ca keeps exiting", Property(crashing, "localtls.problem"), StringComparison.Ordinal);

        // Fixed: the next restart runs, and the CA reads Running again without a new provisioning pass.
        File.WriteAllText(caJson, good);
        var recovered = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        Assert.Null(Property(recovered, "localtls.problem"));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_changed_option_changes_only_what_it_touches()
    {
        await using var cluster = await DoubleCluster.StartAsync();
        var (server, certManager, kubeconfig) = (cluster.Server, cluster.CertManager, cluster.Kubeconfig);

        async Task RunOnceAsync(TimeSpan? duration)
        {
            var builder = Seed(kubeconfig, cluster.CaStore);
            if (duration is { } d)
            {
                builder.CreateResourceBuilder(builder.Resources.OfType<CertificateResource>().Single()).WithDuration(d);
            }

            await using var app = await builder.BuildAsync(Ct);
            await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            await app.StopAsync(Ct);
        }

        await RunOnceAsync(duration: null);
        server.Requests.Clear();
        await RunOnceAsync(TimeSpan.FromDays(30));

        // Only the Certificate is written (its spec.duration); step-ca's objects and the issuer are left alone.
        var writes = server.Requests.Snapshot().Where(r => r.IsMutating).Select(r => $"{r.Method} {r.Path}").ToList();
        Assert.Equal(["PATCH /apis/cert-manager.io/v1/namespaces/default/certificates/app-tls"], writes);
        var certificate = await server.CreateClient().CustomObjects.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", "default", "certificates", "app-tls", Ct);
        Assert.Equal("720h", (string?)System.Text.Json.Nodes.JsonNode.Parse(k8s.KubernetesJson.Serialize(certificate))!["spec"]!["duration"]);
    }

    [Fact]
    public async Task An_unchanged_model_run_again_changes_nothing_in_the_cluster()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        async Task RunOnceAsync()
        {
            await using var app = await Seed(kubeconfig, dir.Combine("caroot")).BuildAsync(Ct);
            await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
            await app.StopAsync(Ct);
        }

        await RunOnceAsync();
        var client = server.CreateClient();
        async Task<string[]> VersionsAsync() =>
        [
            (await client.CoreV1.ReadNamespaceAsync("step-ca", cancellationToken: Ct)).Metadata.ResourceVersion,
            (await client.CoreV1.ReadNamespacedConfigMapAsync("step-ca-config", "step-ca", cancellationToken: Ct)).Metadata.ResourceVersion,
            (await client.CoreV1.ReadNamespacedSecretAsync("step-ca-secrets", "step-ca", cancellationToken: Ct)).Metadata.ResourceVersion,
            (await client.CoreV1.ReadNamespacedServiceAsync("step-ca", "step-ca", cancellationToken: Ct)).Metadata.ResourceVersion,
            (await client.AppsV1.ReadNamespacedDeploymentAsync("step-ca", "step-ca", cancellationToken: Ct)).Metadata.Generation.ToString()!,
        ];

        var before = await VersionsAsync();
        server.Requests.Clear();
        await RunOnceAsync();
        Assert.Equal(before, await VersionsAsync());
        // Not even an apply that would change nothing: what is there already is read, and left alone.
        Assert.DoesNotContain(server.Requests.Snapshot(), r => r.IsMutating);
    }

    [Fact]
    public async Task An_unreachable_api_server_is_FailedToStart_with_what_to_do_and_the_cluster_recovers_when_it_comes_up()
    {
        using var dir = new TempDirectory();
        var port = LocalTls.StepCa.LoopbackPort.GetFree();
        var kubeconfig = dir.Combine("kubeconfig");
        await using (var probe = await DoubleClient.StartAsync())
        {
            // The same kubeconfig, pointed at a port where nothing listens yet.
            File.WriteAllText(kubeconfig, probe.Kubeconfig().Replace(probe.Url.GetLeftPart(UriPartial.Authority), $"http://127.0.0.1:{port}", StringComparison.Ordinal));
        }

        ClusterTarget.RetryInterval = TimeSpan.FromSeconds(1);
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddKubeconfigCluster("k3s").WithKubeconfig(kubeconfig);
        await using var app = await builder.BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        var failed = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Contains("is not reachable", Property(failed, "localtls.problem"));
        Assert.Contains("Start it", Property(failed, "localtls.problem"));

        await using var server = await KubeApiServer.StartAsync(LocalTls.Tests.TestSupport.Schemas.ReferenceFiles.Require(), new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_missing_kubeconfig_or_an_unknown_context_says_what_to_do()
    {
        using var dir = new TempDirectory();
        var missing = new KubeconfigClusterResource("k3s") { KubeconfigPath = dir.Combine("nope") };
        var ex = await Assert.ThrowsAsync<ClusterUnavailableException>(() => ClusterConnector.ConnectAsync(missing, Ct));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("WithKubeconfig", ex.Message);

        await using var server = await DoubleClient.StartAsync();
        server.WriteKubeconfig(dir.Combine("kubeconfig"));
        var wrong = new KubeconfigClusterResource("k3s") { KubeconfigPath = dir.Combine("kubeconfig"), Context = "colima" };
        ex = await Assert.ThrowsAsync<ClusterUnavailableException>(() => ClusterConnector.ConnectAsync(wrong, Ct));
        Assert.Contains("has no context 'colima'", ex.Message);
        Assert.Contains("kube-api-double", ex.Message);

        var right = new KubeconfigClusterResource("k3s") { KubeconfigPath = dir.Combine("kubeconfig") };
        var connection = await ClusterConnector.ConnectAsync(right, Ct);
        Assert.Equal("kube-api-double", connection.Context);
        Assert.Equal("/a/config", ClusterConnector.KubeconfigPath(new KubeconfigClusterResource("x"), v => v == "KUBECONFIG" ? $"/a/config{Path.PathSeparator}/b/config" : null));
    }

    [Fact]
    public async Task A_kubeconfig_whose_token_the_api_server_refuses_says_to_renew_the_credentials()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        server.RequireBearerToken = true;
        File.WriteAllText(dir.Combine("kubeconfig"), server.Kubeconfig().Replace($"token: {KubeApiServer.BearerToken}", "token: expired", StringComparison.Ordinal));
        var stale = new KubeconfigClusterResource("k3s") { KubeconfigPath = dir.Combine("kubeconfig") };
        var ex = await Assert.ThrowsAsync<ClusterUnavailableException>(() => ClusterConnector.ConnectAsync(stale, Ct));
        Assert.Contains("refused the credentials of context 'kube-api-double' (401)", ex.Message);
        Assert.Contains("Renew them", ex.Message);
    }

    [Fact]
    public async Task With_cert_manager_the_issuer_turns_Running_the_certificate_is_issued_reads_as_on_the_host_and_Renew_issues_the_next_revision()
    {
        await using var cluster = await DoubleCluster.StartAsync();
        var (server, certManager, kubeconfig) = (cluster.Server, cluster.CertManager, cluster.Kubeconfig);
        // Every request of LocalTls's, the raw lists and watches included, must carry the kubeconfig's token.
        server.RequireBearerToken = true;

        await using var app = await Seed(kubeconfig, cluster.CaStore).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var issuer = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text is "Running" or "Failed", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.True(issuer.Snapshot.State?.Text == KnownResourceStates.Running, Property(issuer, "localtls.problem"));
        Assert.Equal("ACMEAccountRegistered", Property(issuer, "localtls.reason"));

        var issued = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text is "Running" or "Failed", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.True(issued.Snapshot.State?.Text == KnownResourceStates.Running, Property(issued, "localtls.problem"));
        Assert.Equal("1", Property(issued, "localtls.revision"));
        Assert.NotNull(Property(issued, "localtls.notAfter"));
        Assert.NotNull(Property(issued, "localtls.renewalTime"));
        // The CertificateRequest → Order → Challenge chain, as 'cmctl status certificate' shows it.
        var chain = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => Property(e, "localtls.issuance") is not null, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Matches(@"^CertificateRequest app-tls-1: Issued → Order app-tls-1-\S+: valid → Challenge \S+ \(DNS-01 app\.192\.168\.5\.2\.sslip\.io\): valid", Shown(chain, "localtls.issuance", "Issuance"));

        // It reads as a host certificate does: names, durations with the UTC time, openssl's serial of what the Secret serves.
        var shown = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => Property(e, "localtls.serial") is not null && Property(e, "localtls.revision") == "1", Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal("app.192.168.5.2.sslip.io", Shown(shown, "localtls.dnsNames", "Names"));
        Assert.Matches(RelativeAndUtc, Shown(shown, "localtls.expires", "Expires"));
        Assert.Matches(RelativeAndUtc, Shown(shown, "localtls.renews", "Renews"));
        Assert.Equal("1", Shown(shown, "localtls.revision", "Revision"));
        Assert.Equal("Ready", Shown(shown, "localtls.reason", "Reason"));
        Assert.NotEmpty(Shown(shown, "localtls.message", "Message"));
        Assert.Null(Property(shown, "localtls.failures"));
        using (var first = await ServedAsync(kubeconfig, "app-tls-secret"))
        {
            Assert.Equal(CertificateSerial.OpenSslForm(first), Shown(shown, "localtls.serial", "Serial"));
            Assert.Equal(first.NotBefore.ToUniversalTime(), shown.Snapshot.StartTimeStamp?.ToUniversalTime());
        }

        Assert.DoesNotContain(shown.Snapshot.Properties, p => p.Value?.ToString()?.Contains("PRIVATE KEY", StringComparison.Ordinal) == true);
        var firstSerial = Property(shown, "localtls.serial");

        var renew = await app.ResourceCommands.ExecuteCommandAsync("app-tls", ClusterTarget.RenewCommand, Ct);
        Assert.True(renew.Success, renew.Message);
        var renewed = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, "localtls.revision") == "2" && Property(e, "localtls.serial") != firstSerial, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.Equal("2", Property(renewed, "localtls.revision"));
        // The serial and the start time follow the new certificate.
        using (var second = await ServedAsync(kubeconfig, "app-tls-secret"))
        {
            Assert.Equal(CertificateSerial.OpenSslForm(second), Property(renewed, "localtls.serial"));
            Assert.Equal(second.NotBefore.ToUniversalTime(), renewed.Snapshot.StartTimeStamp?.ToUniversalTime());
        }
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_resource_that_waits_for_a_certificate_starts_only_once_it_is_issued()
    {
        await using var cluster = await DoubleCluster.StartAsync();
        var (server, certManager, kubeconfig) = (cluster.Server, cluster.CertManager, cluster.Kubeconfig);
        // cert-manager's webhook not ready yet: the certificate waits for it.
        certManager.Webhook.Ready = false;

        var builder = Seed(kubeconfig, cluster.CaStore);
        builder.AddExecutable("consumer", "sleep", cluster.Directory, "600").WaitFor(builder.CreateResourceBuilder(builder.Resources.OfType<CertificateResource>().Single()));
        await using var app = await builder.BuildAsync(Ct);
        // StartAsync returns once every resource has started, the held one included: not awaited until it may.
        var starting = app.StartAsync(Ct);

        await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Waiting && Property(e, "localtls.problem")?.Contains("webhook", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.True(app.ResourceNotifications.TryGetCurrentState("consumer", out var held));
        Assert.Equal(KnownResourceStates.Waiting, held.Snapshot.State?.Text);

        certManager.Webhook.Ready = true;
        await starting.WaitAsync(TimeSpan.FromMinutes(2), Ct);
        await app.ResourceNotifications.WaitForResourceAsync("consumer", KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        Assert.True(app.ResourceNotifications.TryGetCurrentState("app-tls", out var issued));
        Assert.Equal(KnownResourceStates.Running, issued.Snapshot.State?.Text);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_failed_issuance_reads_as_failures_with_cert_managers_next_retry_and_the_reason_it_failed()
    {
        await using var cluster = await DoubleCluster.StartAsync();
        var (server, certManager, kubeconfig) = (cluster.Server, cluster.CertManager, cluster.Kubeconfig);

        var builder = Seed(kubeconfig, cluster.CaStore);
        // step-ca's ACME provisioner allows 90 days at most: the order fails at finalize, as it would in a cluster.
        // WithDuration refuses that where it is written, so the lifetime is set behind the builder's back.
        builder.Resources.OfType<CertificateResource>().Single().Duration = TimeSpan.FromDays(200);
        await using var app = await builder.BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var failed = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => Property(e, "localtls.failures") is not null, Ct).WaitAsync(TimeSpan.FromSeconds(150), Ct);
        Assert.Equal("Failed", failed.Snapshot.State?.Text);
        // One failure: cert-manager tries again by itself an hour after it.
        Assert.Matches(@"^1 failure, next retry in \d+ min \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", Shown(failed, "localtls.failures", "Failures"));
        Assert.Equal("Failed", Shown(failed, "localtls.reason", "Reason"));
        Assert.Contains("will be retried", Property(failed, "localtls.problem"));
        Assert.Null(Property(failed, "localtls.serial"));
        // The raw values stay for tools.
        Assert.Equal("1", Property(failed, "localtls.failedIssuanceAttempts"));
        Assert.NotNull(Property(failed, "localtls.lastFailureTime"));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_409_a_500_and_a_429_while_applying_end_in_a_clear_state_then_provisioning_succeeds()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        ClusterTarget.RetryInterval = TimeSpan.FromSeconds(1);
        server.Faults.FailNext(r => r.Method == "PATCH" && r.Path.Value!.Contains("/deployments/", StringComparison.Ordinal), count: 1, message: "etcdserver: leader changed");
        server.Faults.ThrottleNext(r => r.Method == "PATCH" && r.Path.Value!.Contains("/services/", StringComparison.Ordinal), count: 1, retryAfterSeconds: 1);
        // A conflict, as another field manager's change answers it: shown, then applied again.
        server.Faults.AnswerNext(r => r.Method == "PATCH" && r.Path.Value!.Contains("/configmaps/", StringComparison.Ordinal),
            new ApiError(409, "Conflict", "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.ca.json"));

        await using var app = await Seed(kubeconfig, dir.Combine("caroot")).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        // ConfigMaps go before the Service and the Deployment: the conflict comes first, then the 429 and the 500.
        var conflict = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.State?.Text == "Retrying" && Property(e, "localtls.problem")?.Contains("answered 409", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Contains("conflict with \"kubectl-edit\"", Property(conflict, "localtls.problem"), StringComparison.Ordinal);
        var retrying = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.State?.Text == "Retrying" && Property(e, "localtls.problem")?.Contains("answered 409", StringComparison.Ordinal) == false, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Matches("answered (500|429)", Property(retrying, "localtls.problem"));
        await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_resource_whose_connection_string_is_a_kubeconfig_is_waited_for_and_used()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        var builder = DistributedApplicationTestingBuilder.Create([$"--ConnectionStrings:k3s-kubeconfig={kubeconfig}"]);
        // As CommunityToolkit's K3s and Kind hand out their cluster: a connection string that is a kubeconfig path.
        var source = builder.AddConnectionString("k3s-kubeconfig");
        builder.AddKubeconfigCluster("cluster").WithKubeconfigFrom(source);
        await using var app = await builder.BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        var running = await app.ResourceNotifications.WaitForResourceAsync("cluster", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal("kube-api-double", Property(running, "localtls.context"));
        await app.StopAsync(Ct);
    }
}
