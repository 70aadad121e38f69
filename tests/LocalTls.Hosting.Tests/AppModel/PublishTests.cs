using Aspire.Hosting;
using Aspire.Hosting.Testing;
using LocalTls.Pki;
using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.AppModel;

/// <summary>Publishing the playground AppHost: the manifests for the chosen environment, through Aspire's publish pipeline.</summary>
public class PublishTests
{
    private static async Task<string> PublishAsync(TempDirectory dir, string environment, params string[] extra)
    {
        var output = dir.Combine("out");
        string[] args = ["--operation", "publish", "--step", "publish", "--output-path", output, "--environment", environment, $"--Playground:CaStore={dir.Combine("caroot")}", .. extra];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LocalTls_Playground_AppHost>(args, TestContext.Current.CancellationToken);
        await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await app.RunAsync(TestContext.Current.CancellationToken);
        return Path.Combine(output, "localtls");
    }

    [Fact]
    public async Task Development_publishes_step_ca_its_issuer_and_the_certificate_all_schema_valid()
    {
        using var dir = new TempDirectory();
        var folder = await PublishAsync(dir, "Development");
        var manifests = File.ReadAllText(Path.Combine(folder, "manifests.yaml"));
        SchemaAssert.NoErrors(KubernetesSchemas.Shared.Validate(manifests));

        var documents = YamlJson.ParseAll(manifests);
        // Let's Encrypt's issuer is the Production choice: nothing uses it here, so it is not published for Development.
        Assert.Equal(["Namespace", "ConfigMap", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "ClusterIssuer", "Certificate"],
            documents.Select(d => (string?)d!["kind"]));
        var ca = new CaStore(dir.Combine("caroot")).Load();
        var issuer = documents.Single(d => (string?)d!["kind"] == "ClusterIssuer" && (string?)d!["metadata"]!["name"] == "step-ca-acme")!;
        Assert.Equal(ca.CaBundleBase64, (string?)issuer["spec"]!["acme"]!["caBundle"]);
        Assert.Equal("traefik", (string?)issuer["spec"]!["acme"]!["solvers"]![0]!["http01"]!["ingress"]!["ingressClassName"]);
        var certificate = documents.Last()!;
        Assert.Equal("app.192.168.5.2.sslip.io", (string?)certificate["spec"]!["dnsNames"]![0]);
        Assert.Equal("step-ca-acme", (string?)certificate["spec"]!["issuerRef"]!["name"]);
        // Every object names the AppHost it belongs to, as the cluster target applies it (what pruning selects on).
        Assert.All(documents, d => Assert.Equal("localtls.playground.apphost", (string?)d!["metadata"]!["labels"]!["app.kubernetes.io/part-of"]));
        Assert.DoesNotContain(ca.RootKeyPem!.Split('\n')[1], manifests);

        var values = Path.Combine(folder, "step-certificates-values.step-ca.yaml");
        SchemaAssert.NoErrors(StepCertificatesChart.ValidateChartValues(YamlJson.Parse(File.ReadAllText(values))!));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "manifests.yaml")));
        }
    }

    [Fact]
    public async Task Production_publishes_the_lets_encrypt_issuer_and_no_step_ca()
    {
        using var dir = new TempDirectory();
        var folder = await PublishAsync(dir, "Production");
        var manifests = File.ReadAllText(Path.Combine(folder, "manifests.yaml"));
        SchemaAssert.NoErrors(KubernetesSchemas.Shared.Validate(manifests));
        var documents = YamlJson.ParseAll(manifests);
        Assert.Equal(["ClusterIssuer", "Certificate"], documents.Select(d => (string?)d!["kind"]));
        Assert.Equal(Aspire.Hosting.ApplicationModel.AcmeIssuerResource.LetsEncryptProduction, (string?)documents[0]!["spec"]!["acme"]!["server"]);
        Assert.Equal("letsencrypt-prod", (string?)documents[1]!["spec"]!["issuerRef"]!["name"]);
        Assert.False(File.Exists(Path.Combine(folder, "step-certificates-values.step-ca.yaml")));
        Assert.False(Directory.Exists(dir.Combine("caroot")), "production needs no local CA");
    }

    [Fact]
    public async Task A_model_that_cannot_be_rendered_fails_the_publish_with_what_to_do()
    {
        using var dir = new TempDirectory();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var appHost = Repository.Path("playground", "LocalTls.Playground.AppHost", "bin", configuration, "net10.0", "LocalTls.Playground.AppHost.dll");
        Assert.True(File.Exists(appHost), $"{appHost} was not built");
        var result = await Tool.RunAsync("dotnet", [appHost, "--operation", "publish", "--step", "publish", "--environment", "Development",
            "--output-path", dir.Combine("out"), $"--Playground:CaStore={dir.Combine("caroot")}", "--Playground:IngressAddress=unknown"], timeout: TimeSpan.FromMinutes(2));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no ingress address yet. Set it with WithIngressAddress(\"192.168.5.2\")", result.Output);
        Assert.False(File.Exists(dir.Combine("out", "localtls", "manifests.yaml")));
    }
}
