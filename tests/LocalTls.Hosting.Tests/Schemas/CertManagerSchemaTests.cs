using System.Text.Json.Nodes;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>The schema harness on cert-manager kinds (CRD schemas, v1.21.1).</summary>
public class CertManagerSchemaTests
{
    private static KubernetesSchemas Schemas => KubernetesSchemas.Shared;

    /// <summary>The ClusterIssuer LocalTls renders for step-ca's ACME provisioner.</summary>
    public const string SeedClusterIssuer = """
        apiVersion: cert-manager.io/v1
        kind: ClusterIssuer
        metadata:
          name: step-ca-acme
        spec:
          acme:
            server: https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory
            privateKeySecretRef:
              name: step-ca-acme-account-key
            caBundle: LS0tLS1CRUdJTi0tLS0t
            solvers:
              - http01:
                  ingress:
                    ingressClassName: nginx
        """;

    private static JsonObject Certificate() => new()
    {
        ["apiVersion"] = "cert-manager.io/v1",
        ["kind"] = "Certificate",
        ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "default" },
        ["spec"] = new JsonObject
        {
            ["secretName"] = "web-tls",
            ["duration"] = "2160h",
            ["renewBefore"] = "360h",
            ["dnsNames"] = new JsonArray("web.127-0-0-1.sslip.io"),
            ["privateKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["size"] = 256, ["rotationPolicy"] = "Always" },
            ["usages"] = new JsonArray("server auth", "digital signature"),
            ["issuerRef"] = new JsonObject { ["name"] = "step-ca-acme", ["kind"] = "ClusterIssuer", ["group"] = "cert-manager.io" },
        },
    };

    private static JsonObject ClusterIssuer() => (JsonObject)YamlJson.Parse(SeedClusterIssuer)!;

    [Fact]
    public void Seed_ClusterIssuer_is_valid()
    {
        SchemaAssert.NoErrors(Schemas.Validate(SeedClusterIssuer));
    }

    [Fact]
    public void Misspelt_ingressClassName_in_an_http01_solver_is_an_unknown_field()
    {
        var yaml = SeedClusterIssuer.Replace("ingressClassName", "ingresClassName", StringComparison.Ordinal);

        var error = SchemaAssert.HasError(Schemas.Validate(yaml), "/spec/acme/solvers/0/http01/ingress/ingresClassName", "unknown field");
        Assert.Contains("clusterissuers.cert-manager.io .spec.acme.solvers[].http01.ingress", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean \"ingressClassName\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterIssuer_account_key_reference_needs_a_name()
    {
        var issuer = ClusterIssuer();
        issuer["spec"]!["acme"]!["privateKeySecretRef"]!.AsObject().Remove("name");

        SchemaAssert.HasError(Schemas.Validate(issuer), "/spec/acme/privateKeySecretRef", "name");
    }

    [Fact]
    public void Enum_values_are_checked()
    {
        var certificate = Certificate();
        certificate["spec"]!["privateKey"]!["algorithm"] = "EC";

        SchemaAssert.HasError(Schemas.Validate(certificate), "/spec/privateKey/algorithm");
    }

    [Fact]
    public void CaBundle_must_be_base64()
    {
        var issuer = ClusterIssuer();
        issuer["spec"]!["acme"]!["caBundle"] = "-----BEGIN CERTIFICATE-----";

        SchemaAssert.HasError(Schemas.Validate(issuer), "/spec/acme/caBundle", "base64");
    }

    [Fact]
    public void Webhook_solver_config_preserves_unknown_fields()
    {
        // spec.acme.solvers[].dns01.webhook.config has x-kubernetes-preserve-unknown-fields: anything goes there.
        var issuer = ClusterIssuer();
        issuer["spec"]!["acme"]!["solvers"]!.AsArray().Add(new JsonObject
        {
            ["dns01"] = new JsonObject
            {
                ["webhook"] = new JsonObject
                {
                    ["groupName"] = "acme.example.com",
                    ["solverName"] = "example",
                    ["config"] = new JsonObject { ["anything"] = new JsonObject { ["nested"] = new JsonArray(1, "two") } },
                },
            },
        });
        SchemaAssert.NoErrors(Schemas.Validate(issuer));

        issuer["spec"]!["acme"]!["solvers"]![1]!["dns01"]!["webhook"]!["confg"] = new JsonObject();
        SchemaAssert.HasError(Schemas.Validate(issuer), "/spec/acme/solvers/1/dns01/webhook/confg", "did you mean \"config\"");
    }

    [Fact]
    public void Solver_pod_resources_take_int_or_string_quantities()
    {
        var issuer = ClusterIssuer();
        issuer["spec"]!["acme"]!["solvers"]![0]!["http01"]!["ingress"]!["podTemplate"] = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = 1, ["memory"] = "64Mi" } },
            },
        };
        SchemaAssert.NoErrors(Schemas.Validate(issuer));

        issuer["spec"]!["acme"]!["solvers"]![0]!["http01"]!["ingress"]!["podTemplate"]!["spec"]!["resources"]!["limits"]!["cpu"] = true;
        SchemaAssert.HasError(Schemas.Validate(issuer), "/spec/acme/solvers/0/http01/ingress/podTemplate/spec/resources/limits/cpu", "\"integer\" or \"string\"");
    }

    [Fact]
    public void Certificate_with_a_Go_duration_is_valid()
    {
        SchemaAssert.NoErrors(Schemas.Validate(Certificate()));
    }

    [Fact]
    public void Certificate_without_secretName_misses_a_required_field()
    {
        var certificate = Certificate();
        certificate["spec"]!.AsObject().Remove("secretName");

        SchemaAssert.HasError(Schemas.Validate(certificate), "/spec", "secretName");
    }

    [Fact]
    public void Certificate_issuerRef_without_name_misses_a_required_field()
    {
        var certificate = Certificate();
        certificate["spec"]!["issuerRef"]!.AsObject().Remove("name");

        SchemaAssert.HasError(Schemas.Validate(certificate), "/spec/issuerRef", "name");
    }

    [Fact]
    public void Certificate_field_types_are_checked()
    {
        var certificate = Certificate();
        certificate["spec"]!["dnsNames"] = "web.example.com";
        certificate["spec"]!["privateKey"]!["size"] = "256";

        var errors = Schemas.Validate(certificate);
        SchemaAssert.HasError(errors, "/spec/dnsNames", "should be \"array\"");
        SchemaAssert.HasError(errors, "/spec/privateKey/size", "should be \"integer\"");
    }

    [Fact]
    public void CRD_metadata_is_validated_as_ObjectMeta()
    {
        // The CRD itself only says metadata: {type: object}.
        var certificate = Certificate();
        certificate["metadata"]!["labelz"] = new JsonObject();
        certificate["metadata"]!["name"] = "Web_TLS";

        var errors = Schemas.Validate(certificate);
        SchemaAssert.HasError(errors, "/metadata/labelz", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
        SchemaAssert.HasError(errors, "/metadata/name", "DNS-1123 subdomain");
    }

    [Fact]
    public void Issuer_is_the_namespaced_twin_of_ClusterIssuer()
    {
        var issuer = ClusterIssuer();
        issuer["kind"] = "Issuer";
        issuer["metadata"]!["namespace"] = "default";

        SchemaAssert.NoErrors(Schemas.Validate(issuer));
        Assert.True(Schemas.IsNamespaced(new GroupVersionKind("cert-manager.io", "v1", "Issuer")));
        Assert.False(Schemas.IsNamespaced(new GroupVersionKind("cert-manager.io", "v1", "ClusterIssuer")));
    }

    [Fact]
    public void Old_cert_manager_apiVersion_is_an_error()
    {
        var certificate = Certificate();
        certificate["apiVersion"] = "cert-manager.io/v1alpha2";

        SchemaAssert.HasError(Schemas.Validate(certificate), "", "Certificate is known as apiVersion cert-manager.io/v1");
    }

    [Fact]
    public void CertificateRequest_Order_and_Challenge_validate_too()
    {
        const string yaml = """
            apiVersion: cert-manager.io/v1
            kind: CertificateRequest
            metadata: {name: web-1, namespace: default}
            spec:
              request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0=
              issuerRef: {name: step-ca-acme, kind: ClusterIssuer}
            ---
            apiVersion: acme.cert-manager.io/v1
            kind: Order
            metadata: {name: web-1-123, namespace: default}
            spec:
              request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0=
              issuerRef: {name: step-ca-acme, kind: ClusterIssuer}
              dnsNames: [web.127-0-0-1.sslip.io]
            ---
            apiVersion: acme.cert-manager.io/v1
            kind: Challenge
            metadata: {name: web-1-123-456, namespace: default}
            spec:
              url: https://step-ca/acme/acme/challenge/1
              authorizationURL: https://step-ca/acme/acme/authz/1
              dnsName: web.127-0-0-1.sslip.io
              type: HTTP-01
              token: abc
              key: abc.def
              issuerRef: {name: step-ca-acme, kind: ClusterIssuer}
              solver:
                http01:
                  ingress: {ingressClassName: nginx}
            """;
        SchemaAssert.NoErrors(Schemas.Validate(yaml));

        var errors = Schemas.Validate(yaml.Replace("type: HTTP-01", "type: HTTP01", StringComparison.Ordinal));
        Assert.Equal("#3 Challenge/web-1-123-456", SchemaAssert.HasError(errors, "/spec/type").Subject);
    }

    [Theory]
    [InlineData("certificate.yaml")]
    [InlineData("certificaterequest.yaml")]
    [InlineData("challenge.yaml")]
    [InlineData("clusterissuer.yaml")]
    [InlineData("issuer.yaml")]
    [InlineData("order.yaml")]
    public void The_CRDs_themselves_pass_the_strict_CustomResourceDefinition_schema(string file)
    {
        // A large, real, known-good input: a false "unknown field" anywhere in the strict apiextensions schema,
        // or a YAML typing mistake, would show here.
        SchemaAssert.NoErrors(Schemas.Validate(File.ReadAllText(ReferenceFiles.PathTo("cert-manager", "crds", file))));
    }

    [Fact]
    public void A_CRD_with_a_misspelt_schema_keyword_is_caught()
    {
        var crd = File.ReadAllText(ReferenceFiles.PathTo("cert-manager", "crds", "order.yaml"))
            .Replace("x-kubernetes-list-type: atomic", "x-kubernetes-list-typ: atomic", StringComparison.Ordinal);

        var error = Assert.Single(Schemas.Validate(crd).Where(e => e.Message.Contains("x-kubernetes-list-typ\"", StringComparison.Ordinal)).Take(1));
        Assert.StartsWith("/spec/versions/0/schema/openAPIV3Schema/", error.Pointer, StringComparison.Ordinal);
    }
}
