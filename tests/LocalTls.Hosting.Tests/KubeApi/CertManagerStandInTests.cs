using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.KubeApiDouble.CertManager;
using LocalTls.Pki;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.KubeApi;

/// <summary>
/// The double's cert-manager stand-in with the real step-ca run by the kubelet stand-in: the seed model's objects,
/// applied as provisioning applies them, end in a Ready ClusterIssuer and an issued Certificate whose Secret's chain
/// openssl verifies against the root; a wrong caBundle fails registration for real; Issuing=True issues a new revision;
/// the dry-run gate answers as cert-manager's webhook does.
/// </summary>
public class CertManagerStandInTests
{
    private const string Issuers = "/apis/cert-manager.io/v1/clusterissuers";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonObject> EventuallyAsync(KubeApiServer server, string path, Func<JsonObject, bool> done, string what, int seconds = 60)
    {
        var (_, value) = await server.SendAsync("GET", path);
        for (var i = 0; i < seconds * 5 && !done(value); i++)
        {
            await Task.Delay(200, Ct);
            (_, value) = await server.SendAsync("GET", path);
        }

        Assert.True(done(value), $"{what} did not happen in {seconds} s; last seen: {value.ToJsonString()}");
        return value;
    }

    private static JsonObject? Condition(JsonObject obj, string type) =>
        ((obj["status"] as JsonObject)?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c!["type"] == type) as JsonObject;

    private static bool Is(JsonObject obj, string type, string status) => (string?)Condition(obj, type)?["status"] == status;

    /// <summary>The seed's objects rendered as the cluster target renders them, applied with server-side apply.</summary>
    private static async Task ApplySeedAsync(KubeApiServer server, Action<JsonObject>? change = null)
    {
        var objects = ClusterManifests.Render(ModelFixtures.Resources(ModelFixtures.Seed()), production: false, _ => ModelFixtures.Ca.Value).Objects;
        foreach (var obj in objects)
        {
            var json = ManifestYaml.ToJson(obj);
            change?.Invoke(json);
            var type = server.Api.Types().Single(t => t.ApiVersion == (string?)json["apiVersion"] && t.Kind == (string?)json["kind"]);
            var ns = type.Namespaced ? $"namespaces/{(string?)json["metadata"]!["namespace"]}/" : "";
            var prefix = type.Group.Length == 0 ? "/api/v1/" : $"/apis/{type.ApiVersion}/";
            var (code, body) = await server.SendAsync("PATCH", $"{prefix}{ns}{type.Plural}/{(string?)json["metadata"]!["name"]}?fieldManager=localtls&force=true", json, "application/apply-patch+yaml");
            Assert.True(code is HttpStatusCode.Created or HttpStatusCode.OK, $"{type.Kind}: {code} {body}");
        }
    }

    private static (string Issuer, string Certificate, string Secret, string Namespace) SeedPaths()
    {
        var seed = ModelFixtures.Seed();
        var ns = seed.Certificate.Namespace;
        return ($"{Issuers}/{seed.Issuer.Name}", $"/apis/cert-manager.io/v1/namespaces/{ns}/certificates/{seed.Certificate.Name}",
            $"/api/v1/namespaces/{ns}/secrets/{seed.Certificate.SecretName}", ns);
    }

    /// <summary>The double with cert-manager's CRDs, the stand-in, and the kubelet running the real step-ca; disposed together.</summary>
    private sealed class Running(KubeApiServer server, CertManagerStandIn certManager, Kubelet kubelet) : IAsyncDisposable
    {
        public KubeApiServer Server { get; } = server;

        public CertManagerStandIn CertManager { get; } = certManager;

        public async ValueTask DisposeAsync()
        {
            await kubelet.DisposeAsync();
            await CertManager.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static async Task<Running> StartAsync()
    {
        var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        var certManager = CertManagerStandIn.Start(server);
        var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        return new Running(server, certManager, kubelet);
    }

    /// <summary>The seed applied and its Certificate issued once (revision 1).</summary>
    private static async Task<(string Issuer, string Certificate, string Secret, string Namespace)> IssuedSeedAsync(KubeApiServer server)
    {
        await ApplySeedAsync(server);
        var paths = SeedPaths();
        await EventuallyAsync(server, paths.Certificate, c => Is(c, "Ready", "True"), "the first issuance");
        return paths;
    }

    private static string Decode(JsonObject secret, string key) => Encoding.ASCII.GetString(Convert.FromBase64String((string)secret["data"]![key]!));

    [Fact]
    public async Task The_seed_ClusterIssuer_registers_and_its_Certificate_is_issued_with_a_chain_openssl_verifies_against_the_root()
    {
        var openssl = Tool.Require("openssl", "openssl");
        await using var running = await StartAsync();
        var (server, certManager) = (running.Server, running.CertManager);
        await ApplySeedAsync(server);
        var paths = SeedPaths();

        // Registration is tried again with backoff until step-ca answers.
        var issuer = await EventuallyAsync(server, paths.Issuer, i => Is(i, "Ready", "True"), "the ClusterIssuer becoming Ready");
        var ready = Condition(issuer, "Ready")!;
        Assert.Equal("ACMEAccountRegistered", (string?)ready["reason"]);
        Assert.Equal("The ACME account was registered with the ACME server", (string?)ready["message"]);
        Assert.StartsWith("https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/account/", (string?)issuer["status"]!["acme"]!["uri"], StringComparison.Ordinal);
        var (accountCode, account) = await server.SendAsync("GET", $"/api/v1/namespaces/{CertManagerStandIn.ClusterResourceNamespace}/secrets/{(string?)issuer["spec"]!["acme"]!["privateKeySecretRef"]!["name"]}");
        Assert.Equal(HttpStatusCode.OK, accountCode);
        Assert.Contains("PRIVATE KEY", Decode(account, "tls.key"), StringComparison.Ordinal);

        var certificate = await EventuallyAsync(server, paths.Certificate, c => Is(c, "Ready", "True"), "the Certificate becoming Ready");
        Assert.Equal("Ready", (string?)Condition(certificate, "Ready")!["reason"]);
        Assert.Equal("Certificate is up to date and has not expired", (string?)Condition(certificate, "Ready")!["message"]);
        Assert.Null(Condition(certificate, "Issuing"));
        Assert.Equal(1, (int?)certificate["status"]!["revision"]);
        var notBefore = DateTimeOffset.Parse((string)certificate["status"]!["notBefore"]!, System.Globalization.CultureInfo.InvariantCulture);
        var notAfter = DateTimeOffset.Parse((string)certificate["status"]!["notAfter"]!, System.Globalization.CultureInfo.InvariantCulture);
        var renewal = DateTimeOffset.Parse((string)certificate["status"]!["renewalTime"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(notAfter - ((notAfter - notBefore) / 3), renewal, TimeSpan.FromSeconds(1));

        var (_, secret) = await server.SendAsync("GET", paths.Secret);
        Assert.Equal("kubernetes.io/tls", (string?)secret["type"]);
        using var dir = new TempDirectory();
        var chain = Decode(secret, "tls.crt");
        var blocks = chain.Split("-----END CERTIFICATE-----", StringSplitOptions.RemoveEmptyEntries).Where(b => b.Contains("BEGIN", StringComparison.Ordinal))
            .Select(b => b.Trim() + "\n-----END CERTIFICATE-----\n").ToList();
        Assert.Equal(2, blocks.Count);
        File.WriteAllText(dir.Combine("leaf.crt"), blocks[0]);
        File.WriteAllText(dir.Combine("intermediate.crt"), blocks[1]);
        File.WriteAllText(dir.Combine("root.crt"), ModelFixtures.Ca.Value.RootCertificatePem);
        var verify = await Tool.RunAsync(openssl, ["verify", "-CAfile", dir.Combine("root.crt"), "-untrusted", dir.Combine("intermediate.crt"), dir.Combine("leaf.crt")]);
        Assert.True(verify.ExitCode == 0, verify.Output);
        using var leaf = X509Certificate2.CreateFromPem(blocks[0], Decode(secret, "tls.key"));
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal(ModelFixtures.Seed().Certificate.Hostnames[0].Hostname, leaf.GetNameInfo(X509NameType.DnsName, false));

        // The chain behind it, as cmctl status certificate finds it: request, order, challenge, each as cert-manager leaves them.
        var (_, request) = await server.SendAsync("GET", $"/apis/cert-manager.io/v1/namespaces/{paths.Namespace}/certificaterequests/test-tls-1");
        Assert.Equal("Issued", (string?)Condition(request, "Ready")!["reason"]);
        Assert.Equal(CertManagerWebhook.Username, (string?)request["spec"]!["username"]);
        var (_, orders) = await server.SendAsync("GET", $"/apis/acme.cert-manager.io/v1/namespaces/{paths.Namespace}/orders");
        var order = Assert.Single(orders["items"]!.AsArray())!;
        Assert.Equal("valid", (string?)order["status"]!["state"]);
        var (_, challenges) = await server.SendAsync("GET", $"/apis/acme.cert-manager.io/v1/namespaces/{paths.Namespace}/challenges");
        var challenge = Assert.Single(challenges["items"]!.AsArray())!;
        Assert.Equal("valid", (string?)challenge["status"]!["state"]);
        Assert.Equal("DNS-01", (string?)challenge["spec"]!["type"]);
    }

    [Fact]
    public async Task Issuing_True_set_through_the_status_subresource_issues_revision_2_with_a_new_serial()
    {
        await using var running = await StartAsync();
        var (server, certManager) = (running.Server, running.CertManager);
        var paths = await IssuedSeedAsync(server);
        var (_, first) = await server.SendAsync("GET", paths.Secret);
        using var firstLeaf = X509Certificate2.CreateFromPem(Decode(first, "tls.crt"));

        // What cmctl renew does: add Issuing=True (reason ManuallyTriggered) through the status subresource.
        var (_, current) = await server.SendAsync("GET", paths.Certificate);
        var conditions = (JsonArray)current["status"]!["conditions"]!.DeepClone();
        conditions.Add(new JsonObject
        {
            ["type"] = "Issuing",
            ["status"] = "True",
            ["reason"] = "ManuallyTriggered",
            ["message"] = "Certificate re-issuance manually triggered",
            ["lastTransitionTime"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        });
        var (code, body) = await server.SendAsync("PATCH", paths.Certificate + "/status", new JsonObject { ["status"] = new JsonObject { ["conditions"] = conditions } }, "application/merge-patch+json");
        Assert.True(code == HttpStatusCode.OK, body.ToJsonString());

        var renewed = await EventuallyAsync(server, paths.Certificate, c => (int?)c["status"]?["revision"] == 2 && Is(c, "Ready", "True") && Condition(c, "Issuing") is null, "revision 2");
        Assert.Equal("Ready", (string?)Condition(renewed, "Ready")!["reason"]);
        var (_, second) = await server.SendAsync("GET", paths.Secret);
        using var secondLeaf = X509Certificate2.CreateFromPem(Decode(second, "tls.crt"));
        Assert.NotEqual(firstLeaf.SerialNumber, secondLeaf.SerialNumber);
        Assert.NotEqual(Decode(first, "tls.key"), Decode(second, "tls.key"));
        var (requestCode, _) = await server.SendAsync("GET", $"/apis/cert-manager.io/v1/namespaces/{paths.Namespace}/certificaterequests/test-tls-2");
        Assert.Equal(HttpStatusCode.OK, requestCode);
    }

    [Fact]
    public async Task Changed_dnsNames_issue_the_next_revision_for_the_new_names()
    {
        await using var running = await StartAsync();
        var (server, certManager) = (running.Server, running.CertManager);
        var paths = await IssuedSeedAsync(server);

        const string added = "api.192.168.5.2.sslip.io";
        await ApplySeedAsync(server, json =>
        {
            if ((string?)json["kind"] == "Certificate")
            {
                json["spec"]!["dnsNames"]!.AsArray().Add(added);
            }
        });
        var renewed = await EventuallyAsync(server, paths.Certificate, c => (int?)c["status"]?["revision"] == 2 && Is(c, "Ready", "True"), "revision 2");
        Assert.Equal(2, (long?)Condition(renewed, "Ready")!["observedGeneration"]);
        var (_, secret) = await server.SendAsync("GET", paths.Secret);
        using var leaf = X509Certificate2.CreateFromPem(Decode(secret, "tls.crt"));
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
        Assert.Contains(added, names);
        Assert.Contains(ModelFixtures.Seed().Certificate.Hostnames[0].Hostname, names);
    }

    [Fact]
    public async Task A_deleted_Secret_is_issued_again_as_the_next_revision()
    {
        await using var running = await StartAsync();
        var (server, certManager) = (running.Server, running.CertManager);
        var paths = await IssuedSeedAsync(server);

        var (deleted, _) = await server.SendAsync("DELETE", paths.Secret);
        Assert.Equal(HttpStatusCode.OK, deleted);
        await EventuallyAsync(server, paths.Certificate, c => (int?)c["status"]?["revision"] == 2 && Is(c, "Ready", "True"), "revision 2");
        var (secretCode, secret) = await server.SendAsync("GET", paths.Secret);
        Assert.Equal(HttpStatusCode.OK, secretCode);
        Assert.Equal("kubernetes.io/tls", (string?)secret["type"]);
    }

    [Fact]
    public async Task A_wrong_caBundle_leaves_the_ClusterIssuer_ErrRegisterACMEAccount_and_the_Certificate_unissued()
    {
        await using var running = await StartAsync();
        var (server, certManager) = (running.Server, running.CertManager);
        var stranger = CaGenerator.Create();
        await ApplySeedAsync(server, json =>
        {
            if ((string?)json["kind"] == "ClusterIssuer")
            {
                json["spec"]!["acme"]!["caBundle"] = stranger.CaBundleBase64;
            }
        });
        var paths = SeedPaths();

        // Once step-ca answers (the pod is Ready), registration fails on the certificate, not on the connection.
        await EventuallyAsync(server, "/apis/apps/v1/namespaces/step-ca/deployments/step-ca", d => (int?)d["status"]?["readyReplicas"] == 1, "step-ca becoming ready");
        var issuer = await EventuallyAsync(server, paths.Issuer,
            i => ((string?)Condition(i, "Ready")?["message"])?.Contains("TLS certificate is not trusted", StringComparison.Ordinal) == true,
            "registration failing on step-ca's certificate");
        var ready = Condition(issuer, "Ready")!;
        Assert.Equal("False", (string?)ready["status"]);
        Assert.Equal("ErrRegisterACMEAccount", (string?)ready["reason"]);
        Assert.StartsWith("Failed to register ACME account: ", (string?)ready["message"], StringComparison.Ordinal);
        Assert.Null(issuer["status"]!["acme"]?["uri"]);

        // The request waits on the issuer; nothing is issued.
        var request = await EventuallyAsync(server, $"/apis/cert-manager.io/v1/namespaces/{paths.Namespace}/certificaterequests/test-tls-1",
            r => Condition(r, "Ready") is not null, "the CertificateRequest waiting");
        Assert.Equal("Pending", (string?)Condition(request, "Ready")!["reason"]);
        var (_, certificate) = await server.SendAsync("GET", paths.Certificate);
        Assert.Equal("False", (string?)Condition(certificate, "Ready")?["status"]);
        Assert.Equal("DoesNotExist", (string?)Condition(certificate, "Ready")?["reason"]);
        Assert.Null(certificate["status"]!["revision"]);
        var (secretCode, _) = await server.SendAsync("GET", paths.Secret);
        Assert.Equal(HttpStatusCode.NotFound, secretCode);
    }

    [Fact]
    public async Task A_duration_beyond_the_provisioners_maximum_fails_the_issuance_with_failedIssuanceAttempts_and_lastFailureTime()
    {
        await using var running = await StartAsync();
        var (server, certManager) = (running.Server, running.CertManager);

        // The seed's issuer sends the duration (enableDurationFeature); step-ca's ACME provisioner allows 90 days at most.
        await ApplySeedAsync(server, json =>
        {
            if ((string?)json["kind"] == "Certificate")
            {
                json["spec"]!["duration"] = "4000h";
            }
        });
        var paths = SeedPaths();

        var certificate = await EventuallyAsync(server, paths.Certificate, c => (string?)Condition(c, "Issuing")?["status"] == "False", "the issuance failing", seconds: 90);
        var issuing = Condition(certificate, "Issuing")!;
        Assert.Equal("Failed", (string?)issuing["reason"]);
        Assert.StartsWith("The certificate request has failed to complete and will be retried: ", (string?)issuing["message"], StringComparison.Ordinal);
        Assert.Equal(1, (int?)certificate["status"]!["failedIssuanceAttempts"]);
        Assert.NotNull((string?)certificate["status"]!["lastFailureTime"]);
        Assert.Equal("DoesNotExist", (string?)Condition(certificate, "Ready")!["reason"]);
        Assert.Null(certificate["status"]!["revision"]);

        var (_, request) = await server.SendAsync("GET", $"/apis/cert-manager.io/v1/namespaces/{paths.Namespace}/certificaterequests/test-tls-1");
        Assert.Equal("Failed", (string?)Condition(request, "Ready")!["reason"]);
        Assert.NotNull((string?)request["status"]!["failureTime"]);
        var (_, orders) = await server.SendAsync("GET", $"/apis/acme.cert-manager.io/v1/namespaces/{paths.Namespace}/orders");
        var order = Assert.Single(orders["items"]!.AsArray())!;
        Assert.Equal("4000h0m0s", (string?)order["spec"]!["duration"]);
        Assert.Contains((string?)order["status"]!["state"], new[] { "errored", "invalid" });

        // step-ca 0.19 refuses the too-long certificate at finalize, with a bare serverInternal.
        Assert.StartsWith("Could not finalize the order", (string?)order["status"]!["reason"], StringComparison.Ordinal);
        Assert.Contains("serverInternal", (string?)order["status"]!["reason"], StringComparison.Ordinal);
        var (secretCode, _) = await server.SendAsync("GET", paths.Secret);
        Assert.Equal(HttpStatusCode.NotFound, secretCode);
    }

    [Fact]
    public async Task Once_stopped_the_stand_in_reconciles_nothing_and_its_webhook_is_gone()
    {
        await using var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        var certManager = CertManagerStandIn.Start(server);
        var issuer = new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "ClusterIssuer",
            ["metadata"] = new JsonObject { ["name"] = "unreachable" },
            ["spec"] = new JsonObject { ["acme"] = new JsonObject
            {
                ["server"] = "https://nothing.nowhere.svc.cluster.local:9000/acme/acme/directory",
                ["privateKeySecretRef"] = new JsonObject { ["name"] = "unreachable" },
                ["solvers"] = new JsonArray(),
            } },
        };
        var (created, _) = await server.SendAsync("POST", Issuers, issuer);
        Assert.Equal(HttpStatusCode.Created, created);
        var running = await EventuallyAsync(server, Issuers + "/unreachable", i => Condition(i, "Ready") is not null, "the running stand-in reconciling");
        Assert.Contains("Connection refused", (string?)Condition(running, "Ready")!["message"], StringComparison.OrdinalIgnoreCase);

        await certManager.DisposeAsync();
        issuer["metadata"]!["name"] = "after-stop";
        (created, _) = await server.SendAsync("POST", Issuers, issuer);
        Assert.Equal(HttpStatusCode.Created, created);
        await Task.Delay(2000, Ct);
        var (_, stopped) = await server.SendAsync("GET", Issuers + "/after-stop");
        Assert.Null(stopped["status"]);
        var (_, answer) = await server.SendAsync("POST", "/apis/cert-manager.io/v1/namespaces/default/certificaterequests?dryRun=All", DryRunRequest(Csr()));
        Assert.Null(answer["spec"]!["username"]);
        Assert.Null(server.ClusterDns);
    }

    private static JsonObject DryRunRequest(string? request) => new()
    {
        ["apiVersion"] = "cert-manager.io/v1",
        ["kind"] = "CertificateRequest",
        ["metadata"] = new JsonObject { ["generateName"] = "cmapichecker-", ["namespace"] = "default" },
        ["spec"] = new JsonObject
        {
            ["request"] = request,
            ["issuerRef"] = new JsonObject { ["name"] = "cmapichecker" },
        },
    };

    private static string Csr()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=cmapichecker", key, HashAlgorithmName.SHA256);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(csr.CreateSigningRequestPem()));
    }

    [Fact]
    public async Task The_dry_run_gate_answers_installed_only_with_the_CRDs_and_a_ready_webhook()
    {
        await using var server = await DoubleClient.StartAsync();
        const string path = "/apis/cert-manager.io/v1/namespaces/default/certificaterequests?dryRun=All";

        // No CRDs: the kind is not served.
        var (missing, _) = await server.SendAsync("POST", path, DryRunRequest(Csr()));
        Assert.Equal(HttpStatusCode.NotFound, missing);

        // CRDs but no webhook: admitted, yet nobody fills the user fields (what the API checker looks for).
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        var (bare, bareBody) = await server.SendAsync("POST", path, DryRunRequest(Csr()));
        Assert.Equal(HttpStatusCode.Created, bare);
        Assert.Null(bareBody["spec"]!["username"]);

        await using var certManager = CertManagerStandIn.Start(server);
        var before = server.Store.ResourceVersion;
        var (installed, answer) = await server.SendAsync("POST", path, DryRunRequest(Csr()));
        Assert.Equal(HttpStatusCode.Created, installed);
        Assert.Equal(CertManagerWebhook.Username, (string?)answer["spec"]!["username"]);
        Assert.Contains("system:authenticated", answer["spec"]!["groups"]!.AsArray().Select(g => (string?)g));
        Assert.Equal(before, server.Store.ResourceVersion);

        var (denied, refusal) = await server.SendAsync("POST", path, DryRunRequest(Convert.ToBase64String("not a csr"u8.ToArray())));
        Assert.Equal(HttpStatusCode.Forbidden, denied);
        Assert.StartsWith("admission webhook \"webhook.cert-manager.io\" denied the request: spec.request: Invalid value: []byte{0x6e, ", (string?)refusal["message"], StringComparison.Ordinal);
        Assert.EndsWith("failed to decode csr: error decoding certificate request PEM block", (string?)refusal["message"], StringComparison.Ordinal);

        certManager.Webhook.Ready = false;
        var (down, downBody) = await server.SendAsync("POST", path, DryRunRequest(Csr()));
        Assert.Equal(HttpStatusCode.InternalServerError, down);
        Assert.Equal("InternalError", (string?)downBody["reason"]);
        Assert.Matches("failed calling webhook \"webhook.cert-manager.io\": failed to call webhook: Post \"https://cert-manager-webhook.cert-manager.svc:443/.*\": .*: connect: connection refused$", (string?)downBody["message"]);

        certManager.Webhook.Ready = true;
        var (back, _) = await server.SendAsync("POST", path, DryRunRequest(Csr()));
        Assert.Equal(HttpStatusCode.Created, back);
    }
}
