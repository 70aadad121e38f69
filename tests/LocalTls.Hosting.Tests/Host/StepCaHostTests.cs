using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Pki;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Host;

/// <summary>A step-ca not placed in a cluster runs on this machine as an Aspire resource, with its DNS responder.</summary>
public class StepCaHostTests
{
    private static async Task<string?> PropertyAsync(DistributedApplication app, string resource, string name, CancellationToken ct)
    {
        var update = await app.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.Properties.Any(p => p.Name == name), ct);
        return update.Snapshot.Properties.Single(p => p.Name == name).Value?.ToString();
    }

    [Fact]
    public async Task Step_ca_runs_healthy_on_the_host_resolving_through_its_dns_responder()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var material = new CaStore(dir.Combine("caroot")).Load();
        Assert.Equal(material.RootFingerprint, await PropertyAsync(app, "step-ca", "localtls.rootFingerprint", ct));
        var directoryUrl = await PropertyAsync(app, "step-ca", "localtls.acmeDirectory", ct);
        Assert.Matches(@"^https://127\.0\.0\.1:\d+/acme/acme/directory$", directoryUrl);

        using var handler = new HttpClientHandler();
        handler.ServerCertificateCustomValidationCallback = (_, certificate, presented, _) => OnlyRoot.Accepts(material, certificate, presented);
        using var http = new HttpClient(handler);
        var directory = await http.GetFromJsonAsync<JsonElement>(directoryUrl, ct);
        Assert.StartsWith(directoryUrl!.Replace("/directory", ""), directory.GetProperty("newOrder").GetString());

        var resolver = await PropertyAsync(app, "step-ca-dns", "localtls.resolver", ct);
        Assert.Equal(resolver, await PropertyAsync(app, "step-ca", "localtls.resolver", ct));
        var endPoint = IPEndPoint.Parse(resolver!);
        using var dns = new DnsClient([endPoint.Address], [new UdpClientTransport(endPoint.Port)], disposeTransport: true, queryTimeout: 5000);
        var answer = await dns.ResolveAsync(DomainName.Parse("app.127.0.0.1.sslip.io"), RecordType.A, token: ct);
        Assert.Equal(IPAddress.Loopback, Assert.IsType<ARecord>(Assert.Single(answer!.AnswerRecords)).Address);

        var dataDirectory = Path.Combine(dir.Combine("caroot"), "step-ca", "step-ca");
        Assert.True(File.Exists(Path.Combine(dataDirectory, "config", "ca.json")));
        Assert.False(File.Exists(Path.Combine(dataDirectory, "secrets", "root_ca_key")));
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Without_a_step_ca_binary_the_resource_fails_to_start_and_says_how_to_get_one_where_people_look()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot"));
        // A machine with neither LOCALTLS_STEP_CA nor step-ca on PATH, and no container runtime chosen for Aspire.
        builder.Services.AddSingleton(new LocalTls.Host.StepCaLocator(_ => null));
        builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] = null;
        builder.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] = null;
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        await app.ResourceNotifications.WaitForResourceAsync("step-ca", KnownResourceStates.FailedToStart, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var problem = await PropertyAsync(app, "step-ca", "localtls.problem", ct);
        Assert.Contains("was not found", problem);
        Assert.Contains("LOCALTLS_STEP_CA", problem);
        Assert.Contains("WithExecutable(path)", problem);
        Assert.Contains("brew install step", problem);
        Assert.Contains("ASPIRE_CONTAINER_RUNTIME", problem);
        Assert.DoesNotContain("eng/", problem);

        // The CA's console log says it too, not only a property behind "Show all properties".
        var log = new List<string>();
        await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync("step-ca").WithCancellation(ct))
        {
            log.AddRange(batch.Select(l => l.Content));
        }

        Assert.Contains(log, l => l.Contains("step-ca was not found", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Services.GetRequiredService<DistributedApplicationModel>().Resources, r => r.Name == "step-ca-server");
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Placement_is_decided_when_the_app_starts_whatever_the_order_of_the_builder_calls()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var k3s = builder.AddKubeconfigCluster("k3s").WithIngressAddress("192.168.5.2");
        var host = builder.AddStepCa("host-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        // Host-only options before InCluster: nothing of the host target may survive for this CA.
        var cluster = builder.AddStepCa("cluster-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path).WithHostPort(9443);
        builder.AddCertManagerIssuer("cluster-issuer", cluster);
        cluster.InCluster(k3s);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.Contains(model.Resources, r => r.Name == "host-ca-dns");
        Assert.Contains(model.Resources, r => r is StepCaServerResource { Name: "host-ca-server" } s && s.Parent == host.Resource);
        Assert.DoesNotContain(model.Resources, r => r.Name.StartsWith("cluster-ca-", StringComparison.Ordinal));
        Assert.Empty(cluster.Resource.Annotations.OfType<HealthCheckAnnotation>());
        await app.ResourceNotifications.WaitForResourceHealthyAsync("host-ca", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.True(app.ResourceNotifications.TryGetCurrentState("cluster-ca", out var clusterState));
        Assert.Equal(KnownResourceStates.NotStarted, clusterState.Snapshot.State?.Text);
        Assert.Contains(clusterState.Snapshot.Properties, p => p.Name == "localtls.target" && Equals(p.Value, "cluster k3s"));
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Step_ca_runs_as_an_aspire_executable_whose_console_log_exit_code_and_restart_come_from_aspire_and_Stop_reads_as_stopped()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);

        var server = await app.ResourceNotifications.WaitForResourceAsync("step-ca-server", e => e.Snapshot.State?.Text == KnownResourceStates.Running, ct);
        Assert.Equal("Executable", server.Snapshot.ResourceType);
        var log = new List<string>();
        using (var logTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            logTimeout.CancelAfter(TimeSpan.FromSeconds(30));
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "step-ca-server")).WithCancellation(logTimeout.Token))
            {
                log.AddRange(batch.Select(l => l.Content));
                if (log.Any(l => l.Contains("Serving HTTPS on", StringComparison.Ordinal)))
                {
                    break;
                }
            }
        }

        Assert.Contains(log, l => l.Contains("X.509 Root Fingerprint", StringComparison.Ordinal));

        // Aspire's own Stop: the process ends and the CA shows it.
        Assert.True((await app.ResourceCommands.ExecuteCommandAsync("step-ca-server", KnownResourceCommands.StopCommand, ct).WaitAsync(TimeSpan.FromSeconds(30), ct)).Success);
        var stopped = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text is "Exited", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.NotNull(stopped.Snapshot.ExitCode);
        // A Stop is no failure to debug: the CA says it was stopped and how to start it, not badger's shutdown lines.
        var problem = stopped.Snapshot.Properties.Single(p => p.Name == "localtls.problem").Value?.ToString();
        Assert.Contains("step-ca was stopped", problem);
        Assert.Contains("Start on 'step-ca-server'", problem);
        Assert.DoesNotContain("last lines", problem);
        Assert.DoesNotContain("badger", problem, StringComparison.OrdinalIgnoreCase);
        Assert.True((await app.ResourceCommands.ExecuteCommandAsync("step-ca-server", KnownResourceCommands.StartCommand, ct).WaitAsync(TimeSpan.FromSeconds(30), ct)).Success);
        await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await app.StopAsync(ct);
    }

    [Fact]
    public void A_clean_exit_with_only_database_housekeeping_reads_as_a_stop_and_a_failure_keeps_its_lines()
    {
        string[] housekeeping =
        [
            "badger 2026/12/02 06:10:00 INFO: Lifetime L0 stalled for: 0s",
            "badger 2026/12/02 06:10:00 INFO: Level 0 [ ]: NumTables: 01. Size: 1.1 KiB of 0 B. Score: 0.00->0.00 StaleData: 0 B Target FileSize: 64 MiB",
            "badger 2026/12/02 06:10:00 INFO: [Compactor: 0] Compaction for level: 0 DONE",
        ];
        Assert.True(global::LocalTls.Host.HostTarget.IsStop("Exited", 0, housekeeping, stopAsked: false));
        // Aspire's Stop may end it with a signal's code: still a stop.
        Assert.True(global::LocalTls.Host.HostTarget.IsStop("Exited", 143, housekeeping, stopAsked: true));
        // A non-zero exit nobody asked for, or a clean exit after an error line, is a failure to read.
        Assert.False(global::LocalTls.Host.HostTarget.IsStop("Exited", 1, housekeeping, stopAsked: false));
        Assert.False(global::LocalTls.Host.HostTarget.IsStop("Exited", 0, [.. housekeeping, "open /tmp/x/config/ca.json: no such file or directory"], stopAsked: false));
        Assert.False(global::LocalTls.Host.HostTarget.IsStop("FailedToStart", null, [], stopAsked: true));
        Assert.False(global::LocalTls.Host.HostTarget.IsStop("Exited", 0, ["badger 2026/12/02 06:10:00 ERROR: Cannot acquire directory lock on \"/tmp/db\""], stopAsked: true));
    }

    [Fact]
    public async Task An_imported_ca_never_replaces_another_ca_in_the_shared_store()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var store = new CaStore(dir.Combine("caroot"));
        var existing = store.LoadOrCreate();
        var other = CaGenerator.Create(new CaOptions());
        File.WriteAllText(dir.Combine("other_root.crt"), other.RootCertificatePem);
        File.WriteAllText(dir.Combine("other_intermediate.crt"), other.IntermediateCertificatePem);
        File.WriteAllText(dir.Combine("other_intermediate.key"), other.IntermediateKeyPem);

        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddStepCa("step-ca").WithCaStore(store.Directory).WithExecutable(StepCaBinary.Path)
            .WithImportedCa(dir.Combine("other_root.crt"), dir.Combine("other_intermediate.crt"), dir.Combine("other_intermediate.key"));
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        await app.ResourceNotifications.WaitForResourceAsync("step-ca", KnownResourceStates.FailedToStart, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var problem = await PropertyAsync(app, "step-ca", "localtls.problem", ct);
        Assert.Contains("already holds another CA", problem);
        Assert.Contains("WithCaStore", problem);
        Assert.Equal(existing.RootFingerprint, store.Load().RootFingerprint);
        await app.StopAsync(ct);
    }
}
