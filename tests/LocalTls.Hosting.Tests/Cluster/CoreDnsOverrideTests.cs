using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.Sslip;
using LocalTls.Tests.KubeApi;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// The sslip.io server block for k3s's CoreDNS: its Corefile syntax and RE2 regexes, the same answers from the
/// generated templates and from LocalTls's responder started with the same rules, and the key applied, kept apart
/// from other managers' keys and removed, against the API double.
/// </summary>
public class CoreDnsOverrideTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IPAddress Ingress = IPAddress.Parse(K3sSystem.TraefikClusterIp);

    private static readonly SslipAnswerRules Rules = new(zones: null, Ingress);

    /// <summary>Name, query type, expected rcode, expected A address (null: no answer record).</summary>
    public static TheoryData<string, string, string, string?> Table => new()
    {
        { "web.127.0.0.1.sslip.io", "A", "NOERROR", K3sSystem.TraefikClusterIp },
        { "web-127-0-0-1.nip.io", "A", "NOERROR", K3sSystem.TraefikClusterIp },
        { "127.1.2.3.sslip.io", "A", "NOERROR", K3sSystem.TraefikClusterIp },
        { "127-0-0-1.10.0.0.5.sslip.io", "A", "NOERROR", K3sSystem.TraefikClusterIp },
        { "app.192.168.5.2.sslip.io", "A", "NOERROR", "192.168.5.2" },
        { "app-10-0-0-5.nip.io", "A", "NOERROR", "10.0.0.5" },
        { "10-0-0-5.127.0.0.1.sslip.io", "A", "NOERROR", "10.0.0.5" },
        { "a.1.2.3.4.5.sslip.io", "A", "NOERROR", "1.2.3.4" },
        { "1-2-3-4-5.sslip.io", "A", "NOERROR", "1.2.3.4" },
        { "API.10.0.0.1.NIP.IO", "A", "NOERROR", "10.0.0.1" },
        { "x.255.255.255.255.sslip.io", "A", "NOERROR", "255.255.255.255" },
        { "app.1.2.3.4.nip.io.sslip.io", "A", "NOERROR", "1.2.3.4" },
        { "1.2.3.256.sslip.io", "A", "NXDOMAIN", null },
        { "01.2.3.4.sslip.io", "A", "NXDOMAIN", null },
        { "x1.2.3.4.sslip.io", "A", "NXDOMAIN", null },
        { "1.2.3.4x.sslip.io", "A", "NXDOMAIN", null },
        { "c0a80502.sslip.io", "A", "NXDOMAIN", null },
        { "app.2001-db8--1.sslip.io", "AAAA", "NXDOMAIN", null },
        { "app.sslip.io", "A", "NXDOMAIN", null },
        { "app.sslip.io", "AAAA", "NXDOMAIN", null },
        { "sslip.io", "A", "NOERROR", null },
        { "app.127.0.0.1.sslip.io", "AAAA", "NOERROR", null },
        { "app.192.168.5.2.nip.io", "TXT", "NOERROR", null },
    };

    [Fact]
    public void The_block_is_a_CoreDNS_server_block_for_both_zones_of_template_plugins_with_RE2_regexes()
    {
        var text = CoreDnsOverride.Render(Rules);
        var corefile = Corefile.Parse(text);

        var server = Assert.Single(corefile.Servers);
        Assert.Equal(["sslip.io:53", "nip.io:53"], server.Keys);
        Assert.Equal(["errors", "template", "template", "template"], server.Directives.Select(d => d.Name));
        Assert.Equal(["IN", "A", "sslip.io", "nip.io"], server.Directives[1].Args);
        Assert.Equal(["NXDOMAIN"], server.Directives[3].Block.Single(p => p.Name == "rcode").Args);
        Assert.All(CoreDnsOverride.AddressPatterns(Rules), Corefile.CheckRe2);
        Assert.DoesNotContain("\\", text, StringComparison.Ordinal); // no escapes for Caddy's lexer to read differently
    }

    [Fact]
    public void The_RE2_check_refuses_what_Go_regexp_does_not_have()
    {
        Assert.Throws<FormatException>(() => Corefile.CheckRe2("^(?=a)b$"));
        Assert.Throws<FormatException>(() => Corefile.CheckRe2("^(?<a>x)$"));
        Assert.Throws<FormatException>(() => Corefile.CheckRe2("^(a)\\1$"));
        Assert.Throws<FormatException>(() => Corefile.Parse("sslip.io:53 {\n    template IN A sslip.io {\n        match \"x\"\n    }\n}\n"));
        Assert.Throws<FormatException>(() => Corefile.Parse("sslip.io:53 {\n    rewrite name a b\n}\n"));
        Assert.Throws<FormatException>(() => Corefile.Parse("sslip.io:53 {\n    errors\n"));
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task The_generated_templates_and_the_responder_give_the_same_answer(string name, string type, string rcode, string? address)
    {
        var expected = new Corefile.Answer(rcode, address is null ? null : IPAddress.Parse(address));
        Assert.Equal(expected, Corefile.Parse(CoreDnsOverride.Render(Rules)).Resolve(name, type));

        await using var responder = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Rules = Rules });
        using var client = new DnsClient([IPAddress.Loopback], [new UdpClientTransport(responder.Port)], disposeTransport: true, queryTimeout: 5000);
        var response = await client.ResolveAsync(DomainName.Parse(name), Enum.Parse<RecordType>(type, ignoreCase: true), token: Ct)
            ?? throw new InvalidOperationException($"no answer for {name}");
        var answered = response.AnswerRecords.OfType<ARecord>().SingleOrDefault()?.Address;
        Assert.Equal(expected, new Corefile.Answer(response.ReturnCode == ReturnCode.NxDomain ? "NXDOMAIN" : response.ReturnCode.ToString().ToUpperInvariant(), answered));
    }

    [Fact]
    public void Without_an_ingress_Service_loopback_names_answer_as_written_in_both()
    {
        var rules = new SslipAnswerRules(zones: null, loopbackTarget: null);
        var corefile = Corefile.Parse(CoreDnsOverride.Render(rules));
        Assert.Equal(new Corefile.Answer("NOERROR", IPAddress.Loopback), corefile.Resolve("web.127.0.0.1.sslip.io", "A"));
        Assert.Equal(IPAddress.Loopback, rules.Answer("web.127.0.0.1.sslip.io"));
        Assert.Throws<ArgumentException>(() => new SslipAnswerRules(null, IPAddress.Loopback));
    }

    [Fact]
    public void The_templates_and_the_rules_agree_on_thousands_of_generated_names()
    {
        // The regexes and the responder's hand-written matcher are two readings of one rule; random names built from
        // the pieces that matter (octets with and without leading zeros, out of range, hex, words, both delimiters).
        var random = new Random(20261202);
        string[] pieces = ["127", "0", "1", "10", "192", "168", "255", "256", "01", "007", "300", "app", "web", "x1", "c0a80502", "db8", ""];
        var corefile = Corefile.Parse(CoreDnsOverride.Render(Rules));
        var checkedNames = 0;
        for (var i = 0; i < 3000; i++)
        {
            var count = random.Next(1, 9);
            var host = string.Concat(Enumerable.Range(0, count).Select(j => (j == 0 ? "" : random.Next(3) == 0 ? "-" : ".") + pieces[random.Next(pieces.Length)]));
            var name = host + (random.Next(2) == 0 ? ".sslip.io" : ".nip.io");
            if (name.StartsWith('.') || name.StartsWith('-') || name.Contains("..", StringComparison.Ordinal) || name.Contains("-.", StringComparison.Ordinal) || name.Contains(".-", StringComparison.Ordinal))
            {
                continue;
            }

            var fromRules = Rules.Answer(name);
            var fromTemplates = corefile.Resolve(name, "A");
            Assert.True(fromTemplates == new Corefile.Answer(fromRules is null ? "NXDOMAIN" : "NOERROR", fromRules), $"{name}: templates {fromTemplates}, rules {fromRules}");
            checkedNames++;
        }

        Assert.True(checkedNames > 1000, $"only {checkedNames} names were checked");
    }

    [Fact]
    public async Task On_k3s_only_LocalTls_key_is_applied_another_manager_key_survives_and_removal_takes_only_ours()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        await K3sSystem.SeedAsync(client, k3s: true, Ct);
        var theirs = new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns-custom","namespace":"kube-system"},"data":{"team.server":"example.test:53 {\n    errors\n}\n"}}""", V1Patch.PatchType.ApplyPatch);
        await client.CoreV1.PatchNamespacedConfigMapAsync(theirs, CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, fieldManager: "platform-team", cancellationToken: Ct);

        var state = await CoreDnsOverride.EnsureAsync(client, "traefik", Ct);
        Assert.True(state.InPlace, state.Summary);
        Assert.Contains($"answer {K3sSystem.TraefikClusterIp} (kube-system/traefik)", state.Summary);
        var applied = await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct);
        Assert.Equal(CoreDnsOverride.Render(new SslipAnswerRules(null, Ingress)), applied.Data[CoreDnsNames.Key]);
        Assert.True(applied.Data.ContainsKey("team.server"));
        var ours = Assert.Single(applied.Metadata.ManagedFields, f => f.Manager == ClusterTarget.FieldManager);
        Assert.Equal("Apply", ours.Operation);
        Assert.Contains("f:localtls.server", ours.FieldsV1.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("team.server", ours.FieldsV1.ToString(), StringComparison.Ordinal);

        // Again: nothing moves.
        await CoreDnsOverride.EnsureAsync(client, "traefik", Ct);
        Assert.Equal(applied.Metadata.ResourceVersion, (await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct)).Metadata.ResourceVersion);

        Assert.True(await CoreDnsOverride.RemoveAsync(client, Ct));
        var after = await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct);
        Assert.False(after.Data.ContainsKey(CoreDnsNames.Key));
        Assert.Equal(applied.Data["team.server"], after.Data["team.server"]);
        Assert.False(await CoreDnsOverride.RemoveAsync(client, Ct));
    }

    [Fact]
    public async Task Removal_deletes_the_ConfigMap_only_LocalTls_wrote()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        await K3sSystem.SeedAsync(client, k3s: true, Ct);
        Assert.True((await CoreDnsOverride.EnsureAsync(client, "traefik", Ct)).InPlace);

        Assert.True(await CoreDnsOverride.RemoveAsync(client, Ct));
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Localtls_dns_remove_cluster_override_removes_our_key_then_finds_nothing_to_remove()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        await K3sSystem.SeedAsync(client, k3s: true, Ct);
        var theirs = new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns-custom","namespace":"kube-system"},"data":{"team.server":"example.test:53 {\n    errors\n}\n"}}""", V1Patch.PatchType.ApplyPatch);
        await client.CoreV1.PatchNamespacedConfigMapAsync(theirs, CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, fieldManager: "platform-team", cancellationToken: Ct);
        Assert.True((await CoreDnsOverride.EnsureAsync(client, "traefik", Ct)).InPlace);
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        var removed = await Task.Run(() => LocalTls.Tests.Cli.LocalTlsCli.Run("dns", "remove-cluster-override", "--kubeconfig", kubeconfig), Ct);
        Assert.True(removed.ExitCode == 0, removed.Stderr);
        Assert.Contains("Removed localtls.server from kube-system/coredns-custom in context 'kube-api-double'", removed.Stdout, StringComparison.Ordinal);
        var after = await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct);
        Assert.Equal(["team.server"], after.Data.Keys);

        var again = await Task.Run(() => LocalTls.Tests.Cli.LocalTlsCli.Run("dns", "remove-cluster-override", "--kubeconfig", kubeconfig), Ct);
        Assert.Equal(0, again.ExitCode);
        Assert.StartsWith("Nothing to remove", again.Stdout, StringComparison.Ordinal);

        var missing = await Task.Run(() => LocalTls.Tests.Cli.LocalTlsCli.Run("dns", "remove-cluster-override", "--kubeconfig", dir.Combine("nope")), Ct);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_k3s_writes_nothing_and_says_what_that_means()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        await K3sSystem.SeedAsync(client, k3s: false, Ct);

        var state = await CoreDnsOverride.EnsureAsync(client, "traefik", Ct);
        Assert.False(state.InPlace);
        Assert.Contains("does not import /etc/coredns/custom/*.server", state.Summary);
        Assert.Contains("need the internet", state.Summary);
        Assert.Contains("resolves to the pod itself", state.Summary);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WithSslipDns_shows_on_the_cluster_resource_whether_the_override_is_in_place(bool k3s)
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        await K3sSystem.SeedAsync(client, k3s, Ct);
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddKubeconfigCluster("k3s").WithKubeconfig(kubeconfig).WithSslipDns();
        await using var app = await builder.BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var cluster = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.Properties.Any(p => p.Name == "localtls.coreDnsOverride"), Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        var property = cluster.Snapshot.Properties.Single(p => p.Name == "localtls.coreDnsOverride").Value?.ToString();
        if (k3s)
        {
            Assert.StartsWith("kube-system/coredns-custom key localtls.server", property);
            Assert.Contains("no restart", property);
            Assert.True((await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct)).Data.ContainsKey(CoreDnsNames.Key));
        }
        else
        {
            Assert.StartsWith("Not applied:", property);
            Assert.Contains("not k3s", property);
        }

        await app.StopAsync(Ct);
    }
}
