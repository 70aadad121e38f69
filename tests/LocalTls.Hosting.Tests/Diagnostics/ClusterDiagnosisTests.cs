using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using LocalTls.Cluster;
using LocalTls.Diagnostics;
using LocalTls.KubeApiDouble;
using LocalTls.Pki;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.KubeApi;

namespace LocalTls.Tests.Diagnostics;

/// <summary>
/// The diagnosis engine against the Kubernetes API double with the real step-ca behind it: a healthy setup reports
/// nothing, and each fault injected alone produces its finding with the evidence and a remedy.
/// </summary>
public class ClusterDiagnosisTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<IReadOnlyList<Finding>> DiagnoseAsync(DiagnosisFixture fixture, DiagnosisScope? scope = null) =>
        new ClusterDiagnosis(fixture.Server.CreateClient()).RunAsync(scope ?? DiagnosisScope.Cluster(), Ct);

    private static string Codes(IEnumerable<Finding> findings) => string.Join("; ", findings.Select(f => $"{f.Code} {f.Object}: {f.Summary} [{string.Join(" | ", f.Evidence)}]"));

    private static Finding Single(IReadOnlyList<Finding> findings, string code)
    {
        var matching = findings.Where(f => f.Code == code).ToList();
        Assert.True(matching.Count == 1, $"expected one {code}, found: {Codes(findings)}");
        return matching[0];
    }

    private static readonly DiagnosisScope StepCaScope = new() { StepCa = ("step-ca", "step-ca") };
    private static readonly DiagnosisScope IssuerScope = new() { Issuer = ("ClusterIssuer", null, "step-ca-acme") };
    private static readonly DiagnosisScope CertificateScope = new() { Certificate = ("default", "test-tls") };

    [Fact]
    public async Task A_healthy_setup_with_an_issued_certificate_reports_nothing_for_the_cluster_the_CA_the_issuer_and_the_certificate()
    {
        await using var fixture = await DiagnosisFixture.StartAsync();
        await fixture.ApplySeedAsync();
        await fixture.EventuallyAsync(DiagnosisFixture.CertificatePath, c => (string?)DiagnosisFixture.Condition(c, "Ready")?["status"] == "True", "the certificate being issued");

        foreach (var scope in new[] { DiagnosisScope.Cluster(), DiagnosisScope.Cluster(["default"]), StepCaScope, IssuerScope, CertificateScope })
        {
            var findings = await DiagnoseAsync(fixture, scope);
            Assert.True(findings.Count == 0, Codes(findings));
        }
    }

    [Fact]
    public async Task A_wrong_caBundle_is_found_with_both_fingerprints_next_to_the_issuer_not_Ready_with_cert_managers_reason()
    {
        await using var fixture = await DiagnosisFixture.StartAsync();
        var stranger = CaGenerator.Create();
        await fixture.ApplySeedAsync(json =>
        {
            if ((string?)json["kind"] == "ClusterIssuer")
            {
                json["spec"]!["acme"]!["caBundle"] = stranger.CaBundleBase64;
            }
        });
        await fixture.EventuallyAsync(DiagnosisFixture.IssuerPath, i => ((string?)DiagnosisFixture.Condition(i, "Ready")?["message"])?.Contains("not trusted", StringComparison.Ordinal) == true, "registration failing on step-ca's certificate");

        var findings = await DiagnoseAsync(fixture, IssuerScope);
        var mismatch = Single(findings, FindingCodes.IssuerCaBundleMismatch);
        Assert.Equal(FindingSeverity.Error, mismatch.Severity);
        Assert.Equal(new FindingObject("ClusterIssuer", null, "step-ca-acme"), mismatch.Object);
        Assert.Contains(mismatch.Evidence, e => e.StartsWith("spec.acme.caBundle:", StringComparison.Ordinal) && e.Contains(stranger.RootFingerprint, StringComparison.Ordinal));
        Assert.Contains(mismatch.Evidence, e => e.StartsWith("step-ca /roots:", StringComparison.Ordinal) && e.Contains(ModelFixtures.Ca.Value.RootFingerprint, StringComparison.Ordinal));
        Assert.Contains("localtls ca show --format ca-bundle", mismatch.Remedy, StringComparison.Ordinal);

        var notReady = Single(findings, FindingCodes.IssuerNotReady);
        Assert.Contains(notReady.Evidence, e => e.StartsWith("condition Ready=False ErrRegisterACMEAccount: Failed to register ACME account", StringComparison.Ordinal));
        Assert.Contains("caBundle", notReady.Remedy, StringComparison.Ordinal);

        // The CA's own view names the issuer that does not trust it.
        var fromCa = await DiagnoseAsync(fixture, StepCaScope);
        Assert.Equal("step-ca-acme", Single(fromCa, FindingCodes.IssuerCaBundleMismatch).Object.Name);
    }

    [Fact]
    public async Task A_step_ca_that_exits_on_a_broken_config_is_crash_looping_with_its_last_log_lines()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(crds: false);
        await fixture.ApplySeedAsync(json =>
        {
            if ((string?)json["kind"] == "ConfigMap" && json["data"]?["ca.json"] is { } caJson)
            {
                var config = JsonNode.Parse((string)caJson!)!;
                config["root"] = "/home/step/nonexistent/root_ca.crt";
                json["data"]!["ca.json"] = config.ToJsonString();
            }
        });
        // The kubelet restarts it at once after the first exit: the exit shows as the state or the last state.
        await fixture.EventuallyAsync("/api/v1/namespaces/step-ca/pods", pods => pods["items"]!.AsArray().Any(p => p!["status"]?["containerStatuses"]?[0] is { } c && (c["state"]?["terminated"] ?? c["lastState"]?["terminated"]) is not null), "step-ca exiting");

        var findings = await DiagnoseAsync(fixture, StepCaScope);
        var crash = Single(findings, FindingCodes.StepCaCrashLooping);
        Assert.Equal("Pod", crash.Object.Kind);
        Assert.Contains(crash.Evidence, e => e.Contains("last exit code", StringComparison.Ordinal) && !e.Contains("last exit code 0", StringComparison.Ordinal));
        Assert.Contains(crash.Evidence, e => e.StartsWith("log: ", StringComparison.Ordinal) && e.Contains("nonexistent", StringComparison.Ordinal));
        Assert.Contains("--previous", crash.Remedy, StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.Code == FindingCodes.StepCaUnreachable);
    }

    [Fact]
    public async Task A_crash_looping_step_ca_restarted_by_the_kubelet_is_found_with_restarts_CrashLoopBackOff_exit_code_and_the_previous_runs_last_lines()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(crds: false);
        fixture.Kubelet!.BackOffBase = TimeSpan.FromMilliseconds(200);
        // Long enough that the diagnosis reads the pod while it waits in the back-off.
        fixture.Kubelet.MaxBackOff = TimeSpan.FromSeconds(30);
        await fixture.ApplySeedAsync(json =>
        {
            if ((string?)json["kind"] == "ConfigMap" && json["data"]?["ca.json"] is { } caJson)
            {
                var config = JsonNode.Parse((string)caJson!)!;
                config["root"] = "/home/step/crash-loop/root_ca.crt";
                json["data"]!["ca.json"] = config.ToJsonString();
            }
        });
        static bool BackingOff(JsonNode? pod, int restarts) =>
            pod?["status"]?["containerStatuses"]?[0] is { } c && (int?)c["restartCount"] >= restarts && (string?)c["state"]?["waiting"]?["reason"] == "CrashLoopBackOff";
        await fixture.EventuallyAsync("/api/v1/namespaces/step-ca/pods", pods => BackingOff(pods["items"]!.AsArray().FirstOrDefault(), 3), "three restarts");

        // The pod is read before and after the diagnosis: a restart in between (the waits are short here) means another try.
        using var http = fixture.Server.CreateHttpClient();
        for (var attempt = 1; ; attempt++)
        {
            var before = (await fixture.EventuallyAsync("/api/v1/namespaces/step-ca/pods", pods => BackingOff(pods["items"]!.AsArray().FirstOrDefault(), 3), "a back-off"))["items"]![0]!;
            var name = (string)before["metadata"]!["name"]!;
            var status = before["status"]!["containerStatuses"]![0]!;
            var restarts = (int)status["restartCount"]!;
            var exitCode = (int)status["lastState"]!["terminated"]!["exitCode"]!;
            var previousLog = (await http.GetStringAsync($"/api/v1/namespaces/step-ca/pods/{name}/log?previous=true", Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var findings = await DiagnoseAsync(fixture, StepCaScope);
            var (_, after) = await fixture.Server.SendAsync("GET", "/api/v1/namespaces/step-ca/pods");
            if (attempt < 5 && (after["items"]![0]!["status"]!["containerStatuses"]![0]!.ToJsonString() != status.ToJsonString()))
            {
                continue;
            }

            Assert.NotEqual(0, exitCode);
            Assert.Contains(previousLog, l => l.Contains("crash-loop/root_ca.crt", StringComparison.Ordinal));
            var crash = Single(findings, FindingCodes.StepCaCrashLooping);
            Assert.Equal(FindingSeverity.Error, crash.Severity);
            Assert.Equal(new FindingObject("Pod", "step-ca", name), crash.Object);
            Assert.Contains($"({restarts} restarts)", crash.Summary, StringComparison.Ordinal);
            Assert.Equal($"Pod {name} container step-ca: waiting (CrashLoopBackOff), restarts {restarts}, last exit code {exitCode} (Error)", crash.Evidence[0]);
            // The previous run's last lines, as its log ends.
            Assert.Equal(previousLog.TakeLast(10).Select(l => $"log: {l}"), crash.Evidence.Skip(1));
            Assert.Contains($"kubectl -n step-ca logs {name} --previous", crash.Remedy, StringComparison.Ordinal);
            Assert.Contains("broken ca.json", crash.Remedy, StringComparison.Ordinal);
            Assert.DoesNotContain(findings, f => f.Code == FindingCodes.StepCaUnreachable);
            break;
        }
    }

    [Fact]
    public async Task A_step_ca_without_a_running_pod_is_unreachable_through_the_service_proxy()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(crds: false, kubelet: false);
        await fixture.ApplySeedAsync();

        var findings = await DiagnoseAsync(fixture, StepCaScope);
        var unreachable = Single(findings, FindingCodes.StepCaUnreachable);
        Assert.Equal(new FindingObject("Service", "step-ca", "step-ca"), unreachable.Object);
        Assert.Contains(unreachable.Evidence, e => e.Contains("/health through the service proxy answered 503", StringComparison.Ordinal));
        Assert.Contains("no pod matches the Service's selector", unreachable.Evidence);
        Assert.Contains("kubectl -n step-ca get pods,endpoints", unreachable.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_cert_manager_CRD_is_found_with_the_install_command_and_nothing_cert_manager_serves_is_read()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(certManager: false, kubelet: false);
        await fixture.Server.SendAsync("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterissuers.cert-manager.io");

        var findings = await DiagnoseAsync(fixture);
        var missing = Single(findings, FindingCodes.CertManagerMissing);
        Assert.Equal(new FindingObject("CustomResourceDefinition", null, "clusterissuers.cert-manager.io"), missing.Object);
        Assert.Equal($"Install it: {ClusterTarget.InstallCertManager}", missing.Remedy);
        Assert.DoesNotContain(fixture.Server.Requests.Snapshot(), r => r.Path.StartsWith("/apis/cert-manager.io/", StringComparison.Ordinal) || r.Path.StartsWith("/apis/acme.cert-manager.io/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_webhook_that_refuses_is_found_with_the_API_servers_error()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(kubelet: false);
        fixture.CertManager!.Webhook.Ready = false;

        var findings = await DiagnoseAsync(fixture, CertificateScope);
        var webhook = Single(findings, FindingCodes.CertManagerWebhookNotReady);
        Assert.Equal(new FindingObject("Deployment", "cert-manager", "cert-manager-webhook"), webhook.Object);
        Assert.Contains(webhook.Evidence, e => e.Contains("failed calling webhook \"webhook.cert-manager.io\"", StringComparison.Ordinal));
        Assert.Contains("Deployment cert-manager/cert-manager-webhook: not found (installed under another name, or not at all)", webhook.Evidence);
        Assert.Contains("kubectl -n cert-manager logs deploy/cert-manager-webhook", webhook.Remedy, StringComparison.Ordinal);

        fixture.CertManager.Webhook.Ready = true;
        Assert.DoesNotContain(await DiagnoseAsync(fixture, CertificateScope), f => f.Code == FindingCodes.CertManagerWebhookNotReady);
    }

    [Fact]
    public async Task A_cluster_clock_ten_minutes_ahead_is_clock_skew_and_a_certificate_it_issued_is_not_yet_valid_here()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(kubelet: false, time: new OffsetTime(TimeSpan.FromMinutes(10)));
        var findings = await DiagnoseAsync(fixture, CertificateScope);
        var skew = Single(findings, FindingCodes.ClockSkew);
        Assert.Equal(FindingSeverity.Error, skew.Severity);
        Assert.Contains("ahead of this machine's", skew.Summary, StringComparison.Ordinal);
        Assert.Matches(@"^The cluster's clock is (9 min 5\d s|10 min \d s) ahead", skew.Summary);
        Assert.Contains(skew.Evidence, e => e.StartsWith("API server Date: ", StringComparison.Ordinal));
        Assert.Contains("timedatectl set-ntp true", skew.Remedy, StringComparison.Ordinal);

        // What step-ca in that cluster issues now (backdated 1 min by its clock) starts in the future here.
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(9);
        await WriteCertificateAsync(fixture, "test-tls", ["test.192.168.5.2.sslip.io"], ready: true, notBefore);
        var later = await DiagnoseAsync(fixture, CertificateScope);
        var notYet = Single(later, FindingCodes.CertificateNotYetValid);
        Assert.Contains(notYet.Evidence, e => e.StartsWith("status.notBefore: ", StringComparison.Ordinal));
        Assert.Contains("sync them", notYet.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pending_HTTP01_challenge_whose_solver_Ingress_has_no_address_or_was_deleted_is_found()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(certManager: false, kubelet: false);
        await WriteCertificateAsync(fixture, "test-tls", ["test.192.168.5.2.sslip.io"], ready: false, notBefore: null);
        var challenge = await WriteChainAsync(fixture);
        var ingress = await fixture.ApplyAsync(SolverIngress(challenge));
        await fixture.ApplyAsync(SolverIngressStatus("192.168.5.2"), "status");

        await fixture.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = "test-tls-1-1234-5678.1", ["namespace"] = "default" },
            ["involvedObject"] = new JsonObject { ["apiVersion"] = "acme.cert-manager.io/v1", ["kind"] = "Challenge", ["name"] = "test-tls-1-1234-5678", ["namespace"] = "default" },
            ["type"] = "Normal",
            ["reason"] = "Presented",
            ["message"] = "Presented challenge using HTTP-01 challenge mechanism",
        });
        var served = await DiagnoseAsync(fixture, CertificateScope);
        Assert.DoesNotContain(served, f => f.Code.StartsWith("solver-ingress", StringComparison.Ordinal));
        var issuing = Single(served, FindingCodes.CertificateIssuing);
        Assert.False(issuing.NeedsAction);
        Assert.Contains(issuing.Evidence, e => e == "Challenge test-tls-1-1234-5678 (HTTP-01 test.192.168.5.2.sslip.io): pending");
        Assert.Contains("event Normal Presented (Challenge test-tls-1-1234-5678): Presented challenge using HTTP-01 challenge mechanism", issuing.Evidence);

        await fixture.ApplyAsync(SolverIngressStatus(null), "status");
        var noAddress = Single(await DiagnoseAsync(fixture, CertificateScope), FindingCodes.SolverIngressNoAddress);
        Assert.Equal(new FindingObject("Challenge", "default", "test-tls-1-1234-5678"), noAddress.Object);
        Assert.Contains(noAddress.Evidence, e => e.Contains("cm-acme-http-solver-abcde", StringComparison.Ordinal) && e.Contains("class traefik", StringComparison.Ordinal));

        await fixture.Server.SendAsync("DELETE", fixture.PathOf(ingress));
        var missing = Single(await DiagnoseAsync(fixture, DiagnosisScope.Cluster()), FindingCodes.SolverIngressMissing);
        Assert.Equal(FindingSeverity.Error, missing.Severity);
        Assert.Contains("kubectl -n default delete challenge test-tls-1-1234-5678", missing.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_issuance_shows_its_chain_and_when_cert_managers_back_off_tries_again()
    {
        await using var fixture = await DiagnosisFixture.StartAsync();
        await fixture.ApplySeedAsync(json =>
        {
            if ((string?)json["kind"] == "Certificate")
            {
                json["spec"]!["duration"] = "4000h"; // beyond step-ca's ACME provisioner maximum: finalize fails
            }
        });
        var certificate = await fixture.EventuallyAsync(DiagnosisFixture.CertificatePath, c => (string?)DiagnosisFixture.Condition(c, "Issuing")?["status"] == "False", "the issuance failing");
        var lastFailure = DateTimeOffset.Parse((string)certificate["status"]!["lastFailureTime"]!, CultureInfo.InvariantCulture);

        var failing = Single(await DiagnoseAsync(fixture, CertificateScope), FindingCodes.CertificateFailing);
        Assert.Contains("1 failed attempt", failing.Summary, StringComparison.Ordinal);
        Assert.Contains(failing.Evidence, e => e.StartsWith("condition Issuing=False Failed: ", StringComparison.Ordinal));
        Assert.Contains(failing.Evidence, e => e.StartsWith("CertificateRequest test-tls-1: Failed", StringComparison.Ordinal));
        Assert.Contains(failing.Evidence, e => e.StartsWith("Order test-tls-1-", StringComparison.Ordinal) && e.Contains("Could not finalize the order", StringComparison.Ordinal));
        var retry = lastFailure.AddHours(1).UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
        Assert.Contains(failing.Evidence, e => e.StartsWith($"cert-manager tries again by itself at {retry} (in 59 min", StringComparison.Ordinal));
        Assert.Contains("cmctl renew -n default test-tls", failing.Remedy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 32)]
    [InlineData(7, 32)]
    [InlineData(99, 32)]
    public void The_back_off_is_1h_doubling_per_failed_attempt_at_most_32h_as_cert_manager_computes_it(int? failedAttempts, int hours)
    {
        Assert.Equal(TimeSpan.FromHours(hours), CertManagerBackoff.Delay(failedAttempts));
        var failed = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(failed.AddHours(hours), CertManagerBackoff.NextAttempt(failed, failedAttempts));
    }

    [Fact]
    public async Task Loopback_sslip_names_without_LocalTls_key_in_coredns_custom_are_found_until_the_key_is_there()
    {
        await using var fixture = await DiagnosisFixture.StartAsync(certManager: false, kubelet: false);
        await WriteCertificateAsync(fixture, "web-tls", ["web.127.0.0.1.sslip.io"], ready: true, DateTimeOffset.UtcNow.AddHours(-1));
        var scope = new DiagnosisScope { Certificate = ("default", "web-tls") };

        var absent = Single(await DiagnoseAsync(fixture, scope), FindingCodes.CoreDnsOverrideMissing);
        Assert.Equal(FindingSeverity.Warning, absent.Severity);
        Assert.Contains("web.127.0.0.1.sslip.io", absent.Summary, StringComparison.Ordinal);
        Assert.Equal([$"ConfigMap {CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap} does not exist"], absent.Evidence);
        Assert.Contains(CoreDnsNames.Key, absent.Remedy, StringComparison.Ordinal);

        // Someone else's keys are not ours.
        await fixture.ApplyAsync(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = CoreDnsNames.Namespace } });
        await fixture.ApplyAsync(DoubleClient.ConfigMap(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, new() { ["other.server"] = "example.org:53 { forward . 1.1.1.1 }" }));
        var foreign = Single(await DiagnoseAsync(fixture, scope), FindingCodes.CoreDnsOverrideMissing);
        Assert.Contains(foreign.Evidence, e => e.Contains("(keys: other.server)", StringComparison.Ordinal));

        await fixture.ApplyAsync(DoubleClient.ConfigMap(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, new() { ["other.server"] = "example.org:53 { forward . 1.1.1.1 }", [CoreDnsNames.Key] = "sslip.io:53 { }" }));
        Assert.DoesNotContain(await DiagnoseAsync(fixture, scope), f => f.Code == FindingCodes.CoreDnsOverrideMissing);

        // A name with the ingress address needs no override.
        await WriteCertificateAsync(fixture, "app-tls", ["app.192.168.5.2.sslip.io"], ready: true, DateTimeOffset.UtcNow.AddHours(-1));
        await fixture.Server.SendAsync("DELETE", $"/api/v1/namespaces/{CoreDnsNames.Namespace}/configmaps/{CoreDnsNames.ConfigMap}");
        Assert.DoesNotContain(await DiagnoseAsync(fixture, new DiagnosisScope { Certificate = ("default", "app-tls") }), f => f.Code == FindingCodes.CoreDnsOverrideMissing);
    }

    // ---- objects cert-manager would write, for faults its stand-in does not produce ----

    private static async Task WriteCertificateAsync(DiagnosisFixture fixture, string name, string[] dnsNames, bool ready, DateTimeOffset? notBefore)
    {
        var certificate = new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "Certificate",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["secretName"] = name + "-secret",
                ["dnsNames"] = new JsonArray([.. dnsNames.Select(n => JsonValue.Create(n))]),
                ["issuerRef"] = new JsonObject { ["name"] = "step-ca-acme", ["kind"] = "ClusterIssuer", ["group"] = "cert-manager.io" },
            },
        };
        await fixture.ApplyAsync(certificate);
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var status = new JsonObject
        {
            ["conditions"] = ready
                ? new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "Ready", ["message"] = "Certificate is up to date and has not expired", ["lastTransitionTime"] = now })
                : new JsonArray(
                    new JsonObject { ["type"] = "Ready", ["status"] = "False", ["reason"] = "DoesNotExist", ["message"] = "Issuing certificate as Secret does not exist", ["lastTransitionTime"] = now },
                    new JsonObject { ["type"] = "Issuing", ["status"] = "True", ["reason"] = "DoesNotExist", ["message"] = "Issuing certificate as Secret does not exist", ["lastTransitionTime"] = now }),
        };
        if (notBefore is { } start)
        {
            status["notBefore"] = start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            status["notAfter"] = start.AddDays(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        certificate.Remove("spec");
        certificate["status"] = status;
        await fixture.ApplyAsync(certificate, "status");
    }

    /// <summary>CertificateRequest test-tls-1 → Order → pending HTTP-01 Challenge, owned as cert-manager owns them.</summary>
    private static async Task<JsonObject> WriteChainAsync(DiagnosisFixture fixture)
    {
        var (_, certificate) = await fixture.Server.SendAsync("GET", DiagnosisFixture.CertificatePath);
        var issuerRef = new JsonObject { ["name"] = "step-ca-acme", ["kind"] = "ClusterIssuer", ["group"] = "cert-manager.io" };
        static JsonArray Owner(JsonObject owner, string kind, string apiVersion) => new(new JsonObject
        {
            ["apiVersion"] = apiVersion, ["kind"] = kind, ["name"] = (string?)owner["metadata"]!["name"], ["uid"] = (string?)owner["metadata"]!["uid"], ["controller"] = true, ["blockOwnerDeletion"] = true,
        });
        var request = await fixture.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "CertificateRequest",
            ["metadata"] = new JsonObject
            {
                ["name"] = "test-tls-1", ["namespace"] = "default",
                ["annotations"] = new JsonObject { ["cert-manager.io/certificate-name"] = "test-tls", ["cert-manager.io/certificate-revision"] = "1" },
                ["ownerReferences"] = Owner(certificate, "Certificate", "cert-manager.io/v1"),
            },
            ["spec"] = new JsonObject { ["issuerRef"] = issuerRef.DeepClone(), ["request"] = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K" },
        });
        var order = await fixture.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "acme.cert-manager.io/v1",
            ["kind"] = "Order",
            ["metadata"] = new JsonObject { ["name"] = "test-tls-1-1234", ["namespace"] = "default", ["ownerReferences"] = Owner(request, "CertificateRequest", "cert-manager.io/v1") },
            ["spec"] = new JsonObject { ["issuerRef"] = issuerRef.DeepClone(), ["request"] = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K", ["dnsNames"] = new JsonArray("test.192.168.5.2.sslip.io") },
        });
        var challenge = await fixture.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "acme.cert-manager.io/v1",
            ["kind"] = "Challenge",
            ["metadata"] = new JsonObject { ["name"] = "test-tls-1-1234-5678", ["namespace"] = "default", ["ownerReferences"] = Owner(order, "Order", "acme.cert-manager.io/v1") },
            ["spec"] = new JsonObject
            {
                ["authorizationURL"] = "https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/authz/a1",
                ["dnsName"] = "test.192.168.5.2.sslip.io",
                ["issuerRef"] = issuerRef.DeepClone(),
                ["key"] = "token.thumbprint",
                ["solver"] = new JsonObject { ["http01"] = new JsonObject { ["ingress"] = new JsonObject { ["ingressClassName"] = "traefik" } } },
                ["token"] = "token",
                ["type"] = "HTTP-01",
                ["url"] = "https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/challenge/a1/c1",
                ["wildcard"] = false,
            },
        });
        await fixture.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "acme.cert-manager.io/v1",
            ["kind"] = "Challenge",
            ["metadata"] = new JsonObject { ["name"] = "test-tls-1-1234-5678", ["namespace"] = "default" },
            ["status"] = new JsonObject { ["state"] = "pending", ["processing"] = true, ["presented"] = true },
        }, "status");
        return challenge;
    }

    private static JsonObject SolverIngress(JsonObject challenge) => new()
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "Ingress",
        ["metadata"] = new JsonObject
        {
            ["name"] = "cm-acme-http-solver-abcde", ["namespace"] = "default",
            ["labels"] = new JsonObject { ["acme.cert-manager.io/http01-solver"] = "true" },
            ["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "acme.cert-manager.io/v1", ["kind"] = "Challenge", ["name"] = (string?)challenge["metadata"]!["name"], ["uid"] = (string?)challenge["metadata"]!["uid"], ["controller"] = true, ["blockOwnerDeletion"] = true,
            }),
        },
        ["spec"] = new JsonObject
        {
            ["ingressClassName"] = "traefik",
            ["rules"] = new JsonArray(new JsonObject
            {
                ["host"] = "test.192.168.5.2.sslip.io",
                ["http"] = new JsonObject { ["paths"] = new JsonArray(new JsonObject
                {
                    ["path"] = "/.well-known/acme-challenge/token", ["pathType"] = "ImplementationSpecific",
                    ["backend"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "cm-acme-http-solver-xyz12", ["port"] = new JsonObject { ["number"] = 8089 } } },
                }) },
            }),
        },
    };

    private static JsonObject SolverIngressStatus(string? address) => new()
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "Ingress",
        ["metadata"] = new JsonObject { ["name"] = "cm-acme-http-solver-abcde", ["namespace"] = "default" },
        ["status"] = new JsonObject { ["loadBalancer"] = address is null ? new JsonObject() : new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = address }) } },
    };
}
