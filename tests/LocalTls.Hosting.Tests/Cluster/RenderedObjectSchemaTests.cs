using System.Net;
using Aspire.Hosting.ApplicationModel;
using k8s;
using LocalTls.CertManager;
using LocalTls.Cluster;
using LocalTls.Pki;
using LocalTls.StepCa;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Cluster;

/// <summary>Every object the renderers produce, for a matrix of options, against the real Kubernetes 1.35 and cert-manager v1.21 schemas.</summary>
public class RenderedObjectSchemaTests
{
    public static TheoryData<string> Variants() => ["seed", "custom-service", "encrypted-key", "rsa-ca", "two-provisioners", "namespaced-issuer", "letsencrypt", "durations", "no-storage-class", "extra-dns-names", "ingress"];

    private static (IReadOnlyList<IKubernetesObject> Objects, System.Text.Json.Nodes.JsonObject Helm) Render(string variant)
    {
        var seed = ModelFixtures.Seed();
        var material = ModelFixtures.Ca.Value;
        string? password = null;
        var production = false;
        switch (variant)
        {
            case "custom-service":
                seed.Ca.Namespace = "pki";
                seed.Ca.ServiceName = "ca";
                seed.Ca.Port = 8443;
                seed.Ca.Image = "registry.local/step-ca";
                seed.Ca.ImageTag = "0.30.0-custom";
                break;
            case "encrypted-key":
                password = "correct horse battery staple";
                break;
            case "rsa-ca":
                material = CaGenerator.Create(new CaOptions { KeyAlgorithm = CaKeyAlgorithm.Rsa3072 });
                break;
            case "two-provisioners":
                seed.Ca.ProvisionerList.Add(new AcmeProvisionerOptions { Name = "acme-long", ForceCN = true, Claims = new StepCaClaimsOptions { MaxTlsCertDuration = TimeSpan.FromDays(365) } });
                seed.Issuer.ProvisionerName = "acme-long";
                break;
            case "namespaced-issuer":
                seed.Issuer.Kind = CertManagerIssuerKind.Issuer;
                seed.Issuer.Namespace = "default";
                break;
            case "letsencrypt":
                production = true;
                break;
            case "durations":
                seed.Ca.Claims = new StepCaClaimsOptions { MinTlsCertDuration = TimeSpan.FromMinutes(5), DefaultTlsCertDuration = TimeSpan.FromDays(7), MaxTlsCertDuration = TimeSpan.FromDays(90) };
                seed.Certificate.Duration = TimeSpan.FromDays(30);
                seed.Certificate.RenewBefore = TimeSpan.FromDays(10);
                break;
            case "no-storage-class":
                seed.Ca.StorageClassName = null;
                seed.Ca.PersistenceSize = "512Mi";
                break;
            case "ingress":
                seed.Certificate.IngressBackend = ("app", 80);
                seed.Certificate.DnsNameList.Add("www.test.192.168.5.2.sslip.io");
                break;
            case "extra-dns-names":
                seed.Ca.ExtraDnsNameList.Add("localhost");
                seed.Ca.ExtraDnsNameList.Add("127.0.0.1");
                seed.Certificate.DnsNameList.Add("api.test");
                break;
        }

        var set = ClusterManifests.Render(ModelFixtures.Resources(seed), production, _ => material, _ => password);
        return (set.Objects, set.HelmValues.Values.FirstOrDefault() ?? StepCaHelmValuesRenderer.Render(seed.Ca, material, password));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_rendered_object_is_valid_against_the_real_schemas(string variant)
    {
        var schemas = KubernetesSchemas.Shared;
        var (objects, _) = Render(variant);
        Assert.NotEmpty(objects);
        foreach (var obj in objects)
        {
            var errors = schemas.Validate(obj);
            Assert.True(errors.Count == 0, $"{variant}: {obj.Kind} is invalid:\n{string.Join("\n", errors)}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_chart_values_use_only_keys_the_step_certificates_chart_has(string variant)
    {
        var (_, helm) = Render(variant);
        SchemaAssert.NoErrors(StepCertificatesChart.ValidateChartValues(helm));
    }

    [Fact]
    public void A_typo_in_a_rendered_object_is_caught_which_shows_the_check_can_fail()
    {
        var (objects, _) = Render("seed");
        var json = ManifestYaml.ToJson(objects.OfType<ClusterIssuer>().Single(i => i.Metadata.Name == "step-ca-acme"));
        json["spec"]!["acme"]!["solvers"]![0]!["http01"]!["ingress"]!["ingresClassName"] = "nginx";
        Assert.NotEmpty(KubernetesSchemas.Shared.Validate(json));
    }

    [Fact]
    public void Production_renders_no_step_ca_and_the_lets_encrypt_issuer()
    {
        var (objects, _) = Render("letsencrypt");
        Assert.DoesNotContain(objects, o => o.Kind is "Deployment" or "Secret" or "ConfigMap" or "Namespace");
        var issuer = Assert.Single(objects.OfType<ClusterIssuer>());
        Assert.Equal("letsencrypt-prod", issuer.Metadata.Name);
        Assert.Equal(AcmeIssuerResource.LetsEncryptProduction, issuer.Spec.Acme!.Server);
        Assert.Null(issuer.Spec.Acme.CaBundle);
        Assert.Equal("admin@example.com", issuer.Spec.Acme.Email);
        Assert.Equal("letsencrypt-prod", Assert.Single(objects.OfType<Certificate>()).Spec.IssuerRef.Name);
    }

    [Fact]
    public void The_ingress_routes_the_certificate_names_with_its_secret_and_no_issuer_annotation()
    {
        var (objects, _) = Render("ingress");
        var ingress = Assert.Single(objects.OfType<k8s.Models.V1Ingress>());
        Assert.Equal("nginx", ingress.Spec.IngressClassName);
        Assert.Equal("test-tls-secret", Assert.Single(ingress.Spec.Tls).SecretName);
        Assert.Equal(["test.192.168.5.2.sslip.io", "www.test.192.168.5.2.sslip.io"], ingress.Spec.Tls[0].Hosts);
        Assert.Equal(["test.192.168.5.2.sslip.io", "www.test.192.168.5.2.sslip.io"], ingress.Spec.Rules.Select(r => r.Host));
        var rule = ingress.Spec.Rules[0];
        Assert.Equal("app", rule.Http.Paths[0].Backend.Service.Name);
        Assert.Equal(80, rule.Http.Paths[0].Backend.Service.Port.Number);
        Assert.Null(ingress.Metadata.Annotations);
        Assert.True(objects.ToList().IndexOf(ingress) > objects.ToList().FindIndex(o => o is Certificate));
    }
}
