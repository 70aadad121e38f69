using System.Text.Json.Nodes;
using LocalTls.Tests.Diagnostics;
using LocalTls.Tests.KubeApi;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Cli;

/// <summary>
/// <c>localtls doctor</c> against the API double with the real step-ca and the cert-manager stand-in: exit 0 and an
/// empty report on a healthy setup, exit 5 with the documented JSON shape (field names, order, sorting) once something
/// needs action, exit 3 when the cluster cannot be reached.
/// </summary>
public class DoctorCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Doctor_exits_0_on_a_healthy_setup_and_5_with_sorted_stable_JSON_once_findings_need_action()
    {
        using var dir = new TempDirectory();
        await using var fixture = await DiagnosisFixture.StartAsync();
        var kubeconfig = dir.Combine("kubeconfig");
        fixture.Server.WriteKubeconfig(kubeconfig);
        await fixture.ApplySeedAsync();
        await fixture.EventuallyAsync(DiagnosisFixture.CertificatePath, c => (string?)DiagnosisFixture.Condition(c, "Ready")?["status"] == "True", "the certificate being issued");

        var healthy = await Task.Run(() => LocalTlsCli.Run("doctor", "--kubeconfig", kubeconfig, "--format", "json"), Ct);
        Assert.True(healthy.ExitCode == 0, healthy.Stdout + healthy.Stderr);
        var report = JsonNode.Parse(healthy.Stdout)!.AsObject();
        Assert.Equal(["server", "context", "needsAction", "findings"], report.Select(p => p.Key));
        Assert.Equal("kube-api-double", (string?)report["context"]);
        Assert.Equal(fixture.Server.Url.GetLeftPart(UriPartial.Authority) + "/", (string?)report["server"]);
        Assert.False((bool)report["needsAction"]!);
        Assert.Empty(report["findings"]!.AsArray());
        var text = await Task.Run(() => LocalTlsCli.Run("doctor", "--kubeconfig", kubeconfig, "--context", "kube-api-double"), Ct);
        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("No problems found in context 'kube-api-double'", text.Stdout, StringComparison.Ordinal);

        // Two faults: the issuer's solver class goes away (an error), and a loopback name without the CoreDNS key (a warning).
        await fixture.Server.SendAsync("DELETE", "/apis/networking.k8s.io/v1/ingressclasses/traefik");
        await fixture.ApplyAsync(JsonNode.Parse("""
            {"apiVersion":"cert-manager.io/v1","kind":"Certificate","metadata":{"name":"web-tls","namespace":"default"},
             "spec":{"secretName":"web-tls-secret","dnsNames":["web.127.0.0.1.sslip.io"],"issuerRef":{"name":"step-ca-acme","kind":"ClusterIssuer","group":"cert-manager.io"}}}
            """)!.AsObject());
        await fixture.EventuallyAsync("/apis/cert-manager.io/v1/namespaces/default/certificates/web-tls", c => (string?)DiagnosisFixture.Condition(c, "Ready")?["status"] == "True", "the loopback certificate being issued");

        var broken = await Task.Run(() => LocalTlsCli.Run("doctor", "--kubeconfig", kubeconfig, "--format", "json"), Ct);
        Assert.True(broken.ExitCode == 5, broken.Stdout + broken.Stderr);
        report = JsonNode.Parse(broken.Stdout)!.AsObject();
        Assert.True((bool)report["needsAction"]!);
        var findings = report["findings"]!.AsArray().Select(f => f!.AsObject()).ToList();
        Assert.Equal(["ingress-class-missing", "coredns-override-missing"], findings.Select(f => (string?)f["code"]));
        Assert.Equal(["error", "warning"], findings.Select(f => (string?)f["severity"]));
        Assert.All(findings, f => Assert.Equal(["code", "severity", "object", "summary", "evidence", "remedy"], f.Select(p => p.Key)));
        Assert.All(findings, f => Assert.Equal(["kind", "namespace", "name"], f["object"]!.AsObject().Select(p => p.Key)));
        Assert.Equal("""{"kind":"ClusterIssuer","namespace":null,"name":"step-ca-acme"}""", findings[0]["object"]!.ToJsonString());
        Assert.Equal(["IngressClasses: none"], findings[0]["evidence"]!.AsArray().Select(e => (string?)e));
        Assert.Contains("helm install traefik", (string?)findings[0]["remedy"], StringComparison.Ordinal);
        Assert.Equal("""{"kind":"Certificate","namespace":"default","name":"web-tls"}""", findings[1]["object"]!.ToJsonString());

        // Another namespace: the ClusterIssuer still counts, the Certificate in default does not.
        var scoped = await Task.Run(() => LocalTlsCli.Run("doctor", "--kubeconfig", kubeconfig, "--namespace", "other", "--format", "json"), Ct);
        Assert.Equal(5, scoped.ExitCode);
        Assert.Equal(["ingress-class-missing"], JsonNode.Parse(scoped.Stdout)!["findings"]!.AsArray().Select(f => (string?)f!["code"]));

        var readable = await Task.Run(() => LocalTlsCli.Run("doctor", "--kubeconfig", kubeconfig), Ct);
        Assert.Equal(5, readable.ExitCode);
        Assert.Contains("ERROR ingress-class-missing: ClusterIssuer step-ca-acme", readable.Stdout, StringComparison.Ordinal);
        Assert.Contains("  fix: ", readable.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("2 findings need action in context 'kube-api-double' (" + fixture.Server.Url.GetLeftPart(UriPartial.Authority) + "/).\n", readable.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_without_a_reachable_cluster_exits_3_with_what_to_do_and_a_wrong_format_exits_1()
    {
        using var dir = new TempDirectory();
        var missing = LocalTlsCli.Run("doctor", "--kubeconfig", dir.Combine("nope"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains($"The kubeconfig '{dir.Combine("nope")}' does not exist", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal("", missing.Stdout);

        var format = LocalTlsCli.Run("doctor", "--kubeconfig", dir.Combine("nope"), "--format", "yaml");
        Assert.Equal(1, format.ExitCode);
    }
}
