using System.Net;
using System.Text.Json.Nodes;

namespace LocalTls.Tests.KubeApi;

/// <summary>Admission webhooks a test registers, as cert-manager's API check meets them: a dry-run create of a CertificateRequest.</summary>
public class AdmissionTests
{
    private const string Requests = "/apis/cert-manager.io/v1/namespaces/default/certificaterequests";

    private static JsonObject CertificateRequest(string name, string issuer) => new()
    {
        ["apiVersion"] = "cert-manager.io/v1",
        ["kind"] = "CertificateRequest",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["request"] = Convert.ToBase64String("not a real CSR"u8.ToArray()),
            ["issuerRef"] = new JsonObject { ["name"] = issuer, ["kind"] = "ClusterIssuer" },
        },
    };

    [Fact]
    public async Task A_mutating_webhook_fills_fields_and_a_validating_one_denies_even_on_dry_run()
    {
        await using var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        server.Api.Admission.AddMutatingWebhook("webhook.cert-manager.io", t => t.Kind == "CertificateRequest",
            (obj, _) => obj["spec"]!["username"] = "system:admin");
        server.Api.Admission.AddValidatingWebhook("webhook.cert-manager.io", t => t.Kind == "CertificateRequest",
            (obj, _) => (string?)obj["spec"]!["issuerRef"]!["name"] == "" ? "spec.issuerRef.name: Required value: must be specified" : null);

        var (created, mutated) = await server.SendAsync("POST", Requests + "?dryRun=All", CertificateRequest("check", "step-ca-acme"));
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal("system:admin", (string?)mutated["spec"]!["username"]);

        var (denied, status) = await server.SendAsync("POST", Requests + "?dryRun=All", CertificateRequest("check", ""));
        Assert.Equal(HttpStatusCode.Forbidden, denied);
        Assert.Equal("admission webhook \"webhook.cert-manager.io\" denied the request: spec.issuerRef.name: Required value: must be specified", (string?)status["message"]);

        var (_, list) = await server.SendAsync("GET", Requests);
        Assert.Empty(list["items"]!.AsArray());
    }
}
