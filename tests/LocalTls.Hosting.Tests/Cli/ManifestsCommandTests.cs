using System.Text.Json.Nodes;
using LocalTls.Cluster;
using LocalTls.Pki;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Cli;

public class ManifestsCommandTests
{
    /// <summary>The seed document's example as options: what ModelFixtures.Seed builds from resource classes.</summary>
    private static readonly string[] SeedOptions =
        ["--ingress-address", "192.168.5.2", "--host", "test", "--ingress-class", "nginx", "--storage-class", "local-path", "--letsencrypt-email", "admin@example.com", "--app-identity", "seed"];

    private static CliResult Run(TempDirectory dir, params string[] options) =>
        LocalTlsCli.Run(["manifests", "--out", dir.Combine("out"), "--caroot", dir.Combine("store"), .. options]);

    private static IReadOnlyList<JsonNode?> Objects(string yaml) => YamlJson.ParseAll(yaml);

    private static void AssertMode(UnixFileMode expected, string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(expected, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void The_seed_example_creates_the_ca_and_writes_objects_the_real_schemas_accept()
    {
        using var dir = new TempDirectory();

        var result = Run(dir, SeedOptions);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var store = new CaStore(dir.Combine("store"));
        var material = store.Load();
        Assert.Contains($"Created a new CA in {store.Directory}", result.Stdout);
        var manifests = dir.Combine("out", "manifests.yaml");
        var values = dir.Combine("out", "step-certificates-values.yaml");
        Assert.Contains($"Wrote 9 Kubernetes objects for the local environment to {manifests} (mode 0600):", result.Stdout);
        Assert.Contains($"Wrote the step-certificates Helm chart values to {values} (mode 0600)", result.Stdout);
        foreach (var line in new[] { "Namespace              step-ca", "Secret                 step-ca/step-ca-secrets", "Deployment             step-ca/step-ca", "ClusterIssuer          step-ca-acme", "Certificate            default/test-tls" })
        {
            Assert.Contains(line, result.Stdout);
        }

        Assert.Contains("ACME directory:   https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory", result.Stdout);
        Assert.Contains($"Root fingerprint: {material.RootFingerprint}", result.Stdout);
        Assert.Equal($"warning: {manifests} holds the intermediate CA key in a Secret, and {values} holds it too: keep them out of version control (they are written with mode 0600).", result.Stderr.Trim());
        AssertMode(UnixFileMode.UserRead | UnixFileMode.UserWrite, manifests);
        AssertMode(UnixFileMode.UserRead | UnixFileMode.UserWrite, values);

        var yaml = File.ReadAllText(manifests);
        var objects = Objects(yaml);
        Assert.Equal(9, objects.Count);
        Assert.DoesNotContain(objects, o => (string?)o!["metadata"]!["name"] == "letsencrypt-prod");
        SchemaAssert.NoErrors(KubernetesSchemas.Shared.Validate(yaml));
        SchemaAssert.NoErrors(StepCertificatesChart.ValidateChartValues(YamlJson.ParseFile(values)!));
        var certificate = objects.Single(o => (string?)o!["kind"] == "Certificate")!;
        Assert.Equal("test.192.168.5.2.sslip.io", (string?)certificate["spec"]!["dnsNames"]![0]);
        Assert.Equal("test-tls-secret", (string?)certificate["spec"]!["secretName"]);
        Assert.Equal("step-ca-acme", (string?)certificate["spec"]!["issuerRef"]!["name"]);
        Assert.DoesNotContain(material.RootKeyPem!.Trim().Split('\n')[1], yaml + File.ReadAllText(values));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_output_is_byte_for_byte_what_ClusterManifests_renders_for_the_seed_model(bool production)
    {
        using var dir = new TempDirectory();
        string[] options = production ? [.. SeedOptions, "--environment", "production"] : SeedOptions;
        var material = new CaStore(dir.Combine("store")).LoadOrCreate();

        var result = Run(dir, options);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var expected = ClusterManifests.Render(ModelFixtures.Resources(ModelFixtures.Seed()), production, _ => material);
        Assert.Equal(ManifestYaml.Write(expected.Objects), File.ReadAllText(dir.Combine("out", "manifests.yaml")));
        if (production)
        {
            Assert.Empty(expected.HelmValues);
            Assert.False(File.Exists(dir.Combine("out", "step-certificates-values.yaml")));
        }
        else
        {
            Assert.Equal(ManifestYaml.WriteValues(Assert.Single(expected.HelmValues).Value), File.ReadAllText(dir.Combine("out", "step-certificates-values.yaml")));
        }
    }

    [Fact]
    public void Production_writes_the_lets_encrypt_issuer_and_no_step_ca_and_leaves_the_ca_store_alone()
    {
        using var dir = new TempDirectory();

        var result = Run(dir, "--environment", "production", "--letsencrypt-email", "admin@example.com", "--ingress-address", "203.0.113.7", "--host", "shop", "--duration", "2160h");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("store")));
        var manifests = dir.Combine("out", "manifests.yaml");
        Assert.False(File.Exists(dir.Combine("out", "step-certificates-values.yaml")));
        Assert.Contains("Wrote 2 Kubernetes objects for the production environment", result.Stdout);
        Assert.Contains("No step-ca for production", result.Stdout);
        Assert.DoesNotContain("Root fingerprint", result.Stdout);

        var yaml = File.ReadAllText(manifests);
        SchemaAssert.NoErrors(KubernetesSchemas.Shared.Validate(yaml));
        Assert.DoesNotContain("step-ca", yaml);
        Assert.DoesNotContain("PRIVATE KEY", yaml);
        var objects = Objects(yaml);
        Assert.Equal(["ClusterIssuer", "Certificate"], objects.Select(o => (string?)o!["kind"]));
        var acme = objects[0]!["spec"]!["acme"]!;
        Assert.Equal("letsencrypt-prod", (string?)objects[0]!["metadata"]!["name"]);
        Assert.Equal("https://acme-v02.api.letsencrypt.org/directory", (string?)acme["server"]);
        Assert.Equal("admin@example.com", (string?)acme["email"]);
        Assert.Null(acme["caBundle"]);
        Assert.Equal("traefik", (string?)acme["solvers"]![0]!["http01"]!["ingress"]!["ingressClassName"]);
        var spec = objects[1]!["spec"]!;
        Assert.Equal("shop-tls", (string?)objects[1]!["metadata"]!["name"]);
        Assert.Equal("letsencrypt-prod", (string?)spec["issuerRef"]!["name"]);
        Assert.Equal("shop.203.0.113.7.sslip.io", (string?)spec["dnsNames"]![0]);
        Assert.Equal("2160h", (string?)spec["duration"]);
        AssertMode(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, manifests);
    }

    [Fact]
    public void Production_warns_when_lets_encrypt_could_not_reach_the_ingress_address_and_about_stale_chart_values()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Run(dir, SeedOptions).ExitCode);

        var result = Run(dir, [.. SeedOptions, "--environment", "production", "--letsencrypt-staging"]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("letsencrypt-staging", result.Stdout);
        Assert.Contains("https://acme-staging-v02.api.letsencrypt.org/directory", File.ReadAllText(dir.Combine("out", "manifests.yaml")));
        Assert.Contains("step-certificates-values.yaml is left from an earlier local run and holds the intermediate CA key", result.Stderr);
        Assert.Contains("warning: 192.168.5.2 is not a public address, so Let's Encrypt cannot reach test.192.168.5.2.sslip.io", result.Stderr);
    }

    [Fact]
    public void Every_option_reaches_the_objects()
    {
        using var dir = new TempDirectory();

        var result = Run(
            dir,
            "--namespace", "pki", "--service", "ca", "--port", "8443", "--image", "registry.local/step-ca", "--tag", "0.30.0-custom", "--size", "512Mi",
            "--provisioner", "dev", "--issuer", "local-acme", "--ingress-address", "10.0.0.5", "--host", "shop", "--host", "API.shop",
            "--dns-name", "shop.test", "--certificate", "shop-cert", "--certificate-namespace", "shop", "--secret-name", "shop-tls", "--duration", "720h");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var yaml = File.ReadAllText(dir.Combine("out", "manifests.yaml"));
        SchemaAssert.NoErrors(KubernetesSchemas.Shared.Validate(yaml));
        var objects = Objects(yaml);
        JsonNode Find(string kind, string? name = null) => objects.Single(o => (string?)o!["kind"] == kind && (name is null || (string?)o["metadata"]!["name"] == name))!;

        Assert.Equal("pki", (string?)Find("Namespace")["metadata"]!["name"]);
        var service = Find("Service");
        Assert.Equal("ca", (string?)service["metadata"]!["name"]);
        Assert.Equal(8443L, (long)service["spec"]!["ports"]![0]!["port"]!);
        var container = Find("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("registry.local/step-ca:0.30.0-custom", (string?)container["image"]);
        Assert.Equal(8443L, (long)container["ports"]![0]!["containerPort"]!);
        var pvc = Find("PersistentVolumeClaim")["spec"]!;
        Assert.Equal("512Mi", (string?)pvc["resources"]!["requests"]!["storage"]);
        Assert.Null(pvc["storageClassName"]);
        Assert.Contains("\"name\": \"dev\"", (string?)Find("ConfigMap", "ca-config")["data"]!["ca.json"]);

        var issuer = Find("ClusterIssuer");
        Assert.Equal("local-acme", (string?)issuer["metadata"]!["name"]);
        Assert.Equal("https://ca.pki.svc.cluster.local:8443/acme/dev/directory", (string?)issuer["spec"]!["acme"]!["server"]);
        Assert.Equal("traefik", (string?)issuer["spec"]!["acme"]!["solvers"]![0]!["http01"]!["ingress"]!["ingressClassName"]);

        var certificate = Find("Certificate");
        Assert.Equal("shop-cert", (string?)certificate["metadata"]!["name"]);
        Assert.Equal("shop", (string?)certificate["metadata"]!["namespace"]);
        Assert.Equal("shop-tls", (string?)certificate["spec"]!["secretName"]);
        Assert.Equal("720h", (string?)certificate["spec"]!["duration"]);
        Assert.Equal(["shop.10.0.0.5.sslip.io", "api.shop.10.0.0.5.sslip.io", "shop.test"], certificate["spec"]!["dnsNames"]!.AsArray().Select(n => (string?)n));
        Assert.Contains("ACME directory:   https://ca.pki.svc.cluster.local:8443/acme/dev/directory", result.Stdout);
    }

    [Fact]
    public void Without_names_there_is_no_certificate_and_the_default_name_follows_the_first_name()
    {
        using var dir = new TempDirectory();

        var bare = Run(dir);
        Assert.True(bare.ExitCode == 0, bare.Stderr);
        var objects = Objects(File.ReadAllText(dir.Combine("out", "manifests.yaml")));
        Assert.DoesNotContain(objects, o => (string?)o!["kind"] == "Certificate");
        Assert.Equal("step-ca-acme", (string?)objects.Single(o => (string?)o!["kind"] == "ClusterIssuer")!["metadata"]!["name"]);

        var named = Run(dir, "--dns-name", "api.test");
        Assert.True(named.ExitCode == 0, named.Stderr);
        Assert.Contains("Certificate            default/api-tls", named.Stdout);
        Assert.DoesNotContain("Created a new CA", named.Stdout);

        // cert-manager could never issue a wildcard through the HTTP-01 solver the issuer renders.
        var wildcard = Run(dir, "--dns-name", "*.api.test");
        Assert.Equal(2, wildcard.ExitCode);
        Assert.Contains("needs a DNS-01 solver", wildcard.Stderr);
    }

    [Theory]
    [InlineData("--namespace: 'Bad_NS' is not a valid namespace: use at most 63 lower-case letters, digits and '-'", "--namespace", "Bad_NS")]
    [InlineData("--host: 'app_1' cannot start an sslip.io name: The prefix 'app_1' contains '_'", "--host", "app_1", "--ingress-address", "192.168.5.2")]
    [InlineData("--host: 'app.' cannot start an sslip.io name", "--host", "app.", "--ingress-address", "192.168.5.2")]
    [InlineData("--ingress-address: '192.168.5' is not an IP address: write the ingress's address, e.g. \"192.168.5.2\"", "--host", "app", "--ingress-address", "192.168.5")]
    [InlineData("--ingress-address: 'k3s.local' is not an IP address", "--ingress-address", "k3s.local")]
    [InlineData("--ingress-address: '10' is not an IP address", "--ingress-address", "10")]
    [InlineData("--host needs --ingress-address", "--host", "app")]
    [InlineData("--environment production issues from Let's Encrypt, which needs an ACME account e-mail: add --letsencrypt-email, e.g. --letsencrypt-email admin@example.com.", "--environment", "production", "--host", "app", "--ingress-address", "203.0.113.7")]
    [InlineData("--letsencrypt-email: 'admin' is not an e-mail address", "--letsencrypt-email", "admin")]
    [InlineData("--letsencrypt-staging chooses the directory of the Let's Encrypt issuer, which only --letsencrypt-email adds", "--letsencrypt-staging")]
    [InlineData("--duration: cert-manager requires a duration of at least one hour; 59m is shorter. Ask for e.g. 24h.", "--dns-name", "app.test", "--duration", "59m")]
    [InlineData("--duration: '90d' is not a duration: write it as Go does, e.g. 2160h (90 days), 24h or 1h30m.", "--dns-name", "app.test", "--duration", "90d")]
    [InlineData("--duration: The certificate 'app-tls' asks for a lifetime of 2161h, but the provisioner 'acme' of the CA 'step-ca' allows 5m to 2160h", "--dns-name", "app.test", "--duration", "2161h")]
    [InlineData("--duration is for the Certificate, which needs names: add --host PREFIX (with --ingress-address) or --dns-name NAME.", "--duration", "24h")]
    [InlineData("--dns-name: 'app_x.test' is not a DNS name", "--dns-name", "app_x.test")]
    [InlineData("--certificate: 'App' is not a valid Certificate name", "--dns-name", "app.test", "--certificate", "App")]
    [InlineData("--port: The Service port must be between 1 and 65535, e.g. 9000; got 70000.", "--port", "70000")]
    [InlineData("--provisioner: 'acme/x' cannot be an ACME provisioner name", "--provisioner", "acme/x")]
    [InlineData("--image: 'step-ca@sha256:00' is not an image name", "--image", "step-ca@sha256:00")]
    [InlineData("--size: '1 GB' is not a Kubernetes quantity", "--size", "1 GB")]
    [InlineData("--issuer: 'Step CA' is not a valid issuer name", "--issuer", "Step CA")]
    [InlineData("Give --issuer and --certificate names of their own: besides them the model holds the cluster 'k3s', the CA 'step-ca'", "--issuer", "step-ca")]
    [InlineData("'1-tls' is the default, made from the first name: name the Certificate with --certificate NAME, e.g. --certificate app-tls.", "--dns-name", "1.test")]
    public void Bad_input_is_exit_2_with_what_to_write_and_writes_nothing(string expected, params string[] options)
    {
        using var dir = new TempDirectory();

        var result = Run(dir, options);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("(Parameter '", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
        Assert.False(Directory.Exists(dir.Combine("store")));
    }

    [Fact]
    public void A_name_outside_the_roots_constraints_is_exit_2_and_writes_no_manifests()
    {
        using var dir = new TempDirectory();

        var result = Run(dir, "--dns-name", "shop.example.com");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: 'shop.example.com' is outside the root's name constraints, so clients would reject the certificate.", result.Stderr);
        Assert.Contains("localtls ca init --force --permit-dns DOMAIN", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void An_unwritable_output_is_exit_3()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("out"), "a file, not a folder");

        var result = Run(dir, "--dns-name", "app.test");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("error: Could not write the manifests in", result.Stderr);
        Assert.Equal("a file, not a folder", File.ReadAllText(dir.Combine("out")));
    }

    [Fact]
    public async Task The_app_builder_it_uses_reads_nothing_from_the_folder_it_runs_in()
    {
        using var dir = new TempDirectory();
        // An AppHost would fail to load this; the command builds its model on an app builder but is no AppHost.
        File.WriteAllText(dir.Combine("appsettings.json"), "{ not json");

        var result = await Tool.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "localtls.dll"), "manifests", "--out", dir.Combine("out"), "--caroot", dir.Combine("store"), "--dns-name", "api.test"], workingDirectory: dir.Path);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("Certificate            default/api-tls", result.Stdout);
    }

    [Fact]
    public void An_unknown_environment_is_a_command_line_error()
    {
        using var dir = new TempDirectory();

        var result = Run(dir, "--environment", "staging");

        Assert.Equal(1, result.ExitCode);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void The_root_command_lists_it()
    {
        var result = LocalTlsCli.Run("--help");

        Assert.Contains("manifests", result.Stdout);
    }
}
