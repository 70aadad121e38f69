using System.Text.Json.Nodes;
using LocalTls.Cluster;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.KubeApi;

/// <summary>The oldest and newest kubectl the machine has, against the double: what a person does with LocalTls's publish output.</summary>
public class KubectlTests
{
    /// <summary>The oldest and newest kubectl the machine has (1.27 and 1.33 here); each test prints which ran.</summary>
    public static TheoryData<string> Versions() => ["oldest", "newest"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Succeeded(Tool.Result result, string what) =>
        Assert.True(result.ExitCode == 0, $"{what} exited {result.ExitCode}:\n{result.Output}");

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Server_side_apply_of_the_publish_output_get_wait_and_delete(string version)
    {
        var kubectl = Kubectl.Require(version);
        TestContext.Current.TestOutputHelper?.WriteLine($"{version}: {kubectl}");
        await using var server = await DoubleClient.StartAsync();
        using var home = new TempDirectory();
        server.WriteKubeconfig(home.Combine("kubeconfig"));

        var crds = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "-f", ReferenceFiles.PathTo("cert-manager", "crds"));
        Succeeded(crds, "apply of the cert-manager CRDs");
        Assert.Equal(6, crds.Stdout.Split('\n').Count(l => l.EndsWith("serverside-applied", StringComparison.Ordinal)));

        var seed = ModelFixtures.Seed();
        var objects = ClusterManifests.Render(ModelFixtures.Resources(seed), production: false, _ => ModelFixtures.Ca.Value).Objects;
        File.WriteAllText(home.Combine("manifests.yaml"), ManifestYaml.Write(objects));

        var applied = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "--field-manager", "localtls", "-f", "manifests.yaml");
        Succeeded(applied, "apply of the publish output");
        Assert.Equal(objects.Count, applied.Stdout.Split('\n').Count(l => l.EndsWith("serverside-applied", StringComparison.Ordinal)));

        // A re-run changes nothing: not one resourceVersion moves.
        var before = server.Store.ResourceVersion;
        Succeeded(await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "--field-manager", "localtls", "-f", "manifests.yaml"), "second apply");
        Assert.Equal(before, server.Store.ResourceVersion);

        var certificate = objects.Single(o => o.Kind == "Certificate");
        var certificateJson = ManifestYaml.ToJson(certificate);
        var ns = (string?)certificateJson["metadata"]!["namespace"] ?? "default";
        var name = (string)certificateJson["metadata"]!["name"]!;
        var got = await Kubectl.RunAsync(kubectl, home, "get", "certificate", name, "-n", ns, "-o", "yaml");
        Succeeded(got, "get -o yaml");
        var yaml = YamlJson.Parse(got.Stdout)!;
        Assert.Equal(("cert-manager.io/v1", "Certificate"), ((string?)yaml["apiVersion"], (string?)yaml["kind"]));
        Assert.Equal((string?)server.Api.Get(server.Api.FindType("cert-manager.io", "v1", "certificates")!, ns, name)["metadata"]!["uid"], (string?)yaml["metadata"]!["uid"]);
        Assert.NotNull(yaml["spec"]!["secretName"]);

        var waiting = Kubectl.RunAsync(kubectl, home, "wait", "--for=condition=Ready", $"certificate/{name}", "-n", ns, "--timeout=30s");
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        Assert.False(waiting.IsCompleted, "kubectl wait returned before the certificate was Ready");
        var ready = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = "True",
                    ["reason"] = "Ready",
                    ["message"] = "Certificate is up to date and has not expired",
                    ["lastTransitionTime"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                }),
            },
        };
        var (code, _) = await server.SendAsync("PATCH", $"/apis/cert-manager.io/v1/namespaces/{ns}/certificates/{name}/status", ready, "application/merge-patch+json");
        Assert.Equal(System.Net.HttpStatusCode.OK, code);
        var waited = await waiting;
        Succeeded(waited, "wait --for=condition=Ready");
        Assert.Contains("condition met", waited.Stdout, StringComparison.Ordinal);

        var deleted = await Kubectl.RunAsync(kubectl, home, "delete", "-f", "manifests.yaml", "--wait=false");
        Succeeded(deleted, "delete");
        var left = await Kubectl.RunAsync(kubectl, home, "get", "certificate", name, "-n", ns);
        Assert.NotEqual(0, left.ExitCode);
        Assert.Contains("NotFound", left.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Client_side_apply_scale_annotate_and_label_work_too(string version)
    {
        var kubectl = Kubectl.Require(version);
        TestContext.Current.TestOutputHelper?.WriteLine($"{version}: {kubectl}");
        await using var server = await DoubleClient.StartAsync();
        using var home = new TempDirectory();
        server.WriteKubeconfig(home.Combine("kubeconfig"));
        var deployment = DoubleClient.Deployment("web");
        File.WriteAllText(home.Combine("web.json"), deployment.ToJsonString());

        Succeeded(await Kubectl.RunAsync(kubectl, home, "apply", "-f", "web.json"), "client-side apply");
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:1.28";
        File.WriteAllText(home.Combine("web.json"), deployment.ToJsonString());
        Succeeded(await Kubectl.RunAsync(kubectl, home, "apply", "-f", "web.json"), "second client-side apply");
        Succeeded(await Kubectl.RunAsync(kubectl, home, "scale", "deployment/web", "--replicas=4"), "scale");
        Succeeded(await Kubectl.RunAsync(kubectl, home, "annotate", "deployment/web", "localtls.io/note=x"), "annotate");
        Succeeded(await Kubectl.RunAsync(kubectl, home, "label", "deployment/web", "tier=front"), "label");

        var stored = server.Api.Get(server.Api.FindType("apps", "v1", "deployments")!, "default", "web");
        Assert.Equal("nginx:1.28", (string?)stored["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal(4, (int)stored["spec"]!["replicas"]!);
        Assert.Equal("x", (string?)stored["metadata"]!["annotations"]!["localtls.io/note"]);
        Assert.Equal("front", (string?)stored["metadata"]!["labels"]!["tier"]);
        Assert.Equal(3, (long)stored["metadata"]!["generation"]!);

        // The list's items come without apiVersion/kind, as from a real server; kubectl fills them in.
        var (_, list) = await server.SendAsync("GET", "/apis/apps/v1/namespaces/default/deployments");
        Assert.Null(list["items"]![0]!["kind"]);
        var listed = await Kubectl.RunAsync(kubectl, home, "get", "deployments", "-o", "yaml");
        Succeeded(listed, "get deployments -o yaml");
        var items = YamlJson.Parse(listed.Stdout)!["items"]!.AsArray();
        Assert.Equal(("apps/v1", "Deployment", "web"), ((string?)items[0]!["apiVersion"], (string?)items[0]!["kind"], (string?)items[0]!["metadata"]!["name"]));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task An_invalid_object_is_refused_with_the_field_named(string version)
    {
        var kubectl = Kubectl.Require(version);
        TestContext.Current.TestOutputHelper?.WriteLine($"{version}: {kubectl}");
        await using var server = await DoubleClient.StartAsync();
        using var home = new TempDirectory();
        server.WriteKubeconfig(home.Combine("kubeconfig"));
        File.WriteAllText(home.Combine("bad.yaml"), """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: bad, namespace: default}
            data: {retries: 3}
            """);

        var result = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "-f", "bad.yaml");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("data.retries", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(server.Store.List(server.Api.FindType("", "v1", "configmaps")!, "default"));
    }
}
