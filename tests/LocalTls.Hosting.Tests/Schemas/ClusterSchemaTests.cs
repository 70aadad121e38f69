using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>Smoke test of the loaded schema set: which kinds it knows, where from, and how long loading took.</summary>
public class ClusterSchemaTests
{
    public static readonly TheoryData<string, string> KindsLocalTlsRenders = new()
    {
        { "v1", "Namespace" },
        { "v1", "Secret" },
        { "v1", "ConfigMap" },
        { "v1", "Service" },
        { "v1", "PersistentVolumeClaim" },
        { "apps/v1", "Deployment" },
        { "apps/v1", "StatefulSet" },
        { "networking.k8s.io/v1", "Ingress" },
        { "networking.k8s.io/v1", "IngressClass" },
        { "apiextensions.k8s.io/v1", "CustomResourceDefinition" },
        { "cert-manager.io/v1", "ClusterIssuer" },
        { "cert-manager.io/v1", "Issuer" },
        { "cert-manager.io/v1", "Certificate" },
        { "cert-manager.io/v1", "CertificateRequest" },
        { "acme.cert-manager.io/v1", "Order" },
        { "acme.cert-manager.io/v1", "Challenge" },
    };

    [Theory]
    [MemberData(nameof(KindsLocalTlsRenders))]
    public void Kind_has_a_schema(string apiVersion, string kind)
    {
        var gvk = GroupVersionKind.Parse(apiVersion, kind);
        var source = KubernetesSchemas.Shared.SchemaSource(gvk);

        Assert.True(source is not null, $"no schema for {gvk}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{gvk}: {source}");
    }

    [Fact]
    public void Indexed_kinds_and_load_time()
    {
        var schemas = KubernetesSchemas.Shared;
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{schemas.Kinds.Count} kinds from {schemas.ReferenceDirectory}, loaded in {schemas.LoadTime.TotalMilliseconds:F0} ms:");
        foreach (var (step, time) in schemas.LoadSteps)
        {
            output?.WriteLine($"  {time.TotalMilliseconds,6:F0} ms  {step}");
        }

        var byApiVersion = schemas.Kinds.GroupBy(k => k.ApiVersion).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var group in byApiVersion)
        {
            output?.WriteLine($"  {group.Key}: {group.Count()} ({string.Join(", ", group.Select(k => k.Kind).Order(StringComparer.Ordinal))})");
        }

        // Every document contributes its own group/version's kinds, and only those; every CRD contributes its v1 kind.
        Assert.Equal(
            ["acme.cert-manager.io/v1", "apiextensions.k8s.io/v1", "apps/v1", "cert-manager.io/v1", "networking.k8s.io/v1", "v1"],
            byApiVersion.Select(g => g.Key));
        Assert.Equal(2, byApiVersion.Single(g => g.Key == "acme.cert-manager.io/v1").Count());
        Assert.Equal(4, byApiVersion.Single(g => g.Key == "cert-manager.io/v1").Count());
        Assert.InRange(schemas.Kinds.Count, 50, 150);
        Assert.Null(schemas.SchemaSource(new GroupVersionKind("policy", "v1", "Eviction"))); // listed in core/v1, but not of it

        // Loading parses about 4 MB of JSON and 1 MB of YAML and resolves every $ref once; it must stay well under a
        // test's patience even on a busy machine.
        Assert.True(schemas.LoadTime < TimeSpan.FromSeconds(30), $"loading took {schemas.LoadTime}");
    }
}
