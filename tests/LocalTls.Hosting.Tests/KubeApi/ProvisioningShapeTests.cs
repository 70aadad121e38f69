using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using LocalTls.Cluster;
using LocalTls.Tests.Cluster;

namespace LocalTls.Tests.KubeApi;

/// <summary>
/// The renderers' objects applied with KubernetesClient the way provisioning applies them (server-side apply, one
/// field manager, typed calls for built-in kinds, custom-object calls for cert-manager kinds): the first run creates
/// everything, an unchanged re-run moves no resourceVersion, a changed option changes only what it touches.
/// </summary>
public class ProvisioningShapeTests
{
    private const string Manager = "localtls";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> ApplyAsync(IKubernetes client, IKubernetesObject obj)
    {
        var json = ManifestYaml.ToJson(obj);
        var name = (string)json["metadata"]!["name"]!;
        var ns = (string?)json["metadata"]!["namespace"];
        var patch = new V1Patch(json.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        return obj switch
        {
            V1Namespace => (await client.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            V1ConfigMap => (await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            V1Secret => (await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            V1PersistentVolumeClaim => (await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ns, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            V1Service => (await client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            V1Deployment => (await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            V1Ingress => (await client.NetworkingV1.PatchNamespacedIngressAsync(patch, name, ns, fieldManager: Manager, force: true, cancellationToken: Ct)).Metadata.ResourceVersion,
            _ => await ApplyCustomAsync(client, json, patch, name, ns),
        };
    }

    private static async Task<string> ApplyCustomAsync(IKubernetes client, JsonObject json, V1Patch patch, string name, string? ns)
    {
        var apiVersion = ((string)json["apiVersion"]!).Split('/');
        var plural = ((string)json["kind"]!).ToLowerInvariant() + "s";
        var result = ns is null
            ? await client.CustomObjects.PatchClusterCustomObjectAsync(patch, apiVersion[0], apiVersion[1], plural, name, fieldManager: Manager, force: true, cancellationToken: Ct)
            : await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, apiVersion[0], apiVersion[1], ns, plural, name, fieldManager: Manager, force: true, cancellationToken: Ct);
        return (string)JsonNode.Parse(KubernetesJson.Serialize(result))!["metadata"]!["resourceVersion"]!;
    }

    [Fact]
    public async Task An_unchanged_model_re_applied_moves_no_resource_version_and_a_changed_one_moves_only_its_object()
    {
        await using var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        var client = server.CreateClient();
        var seed = ModelFixtures.Seed();
        seed.Certificate.IngressBackend = ("app", 80);
        var objects = ClusterManifests.Render(ModelFixtures.Resources(seed), production: false, _ => ModelFixtures.Ca.Value).Objects;

        var first = new List<string>();
        foreach (var obj in objects)
        {
            first.Add(await ApplyAsync(client, obj));
        }

        Assert.Contains(objects, o => o is V1Ingress);
        var before = server.Store.ResourceVersion;
        server.Requests.Clear();
        var second = new List<string>();
        foreach (var obj in objects)
        {
            second.Add(await ApplyAsync(client, obj));
        }

        Assert.Equal(first, second);
        Assert.Equal(before, server.Store.ResourceVersion);
        Assert.Equal(objects.Count, server.Requests.Snapshot().Count(r => r.Method == "PATCH" && r.StatusCode == 200));

        seed.Certificate.DnsNames.Add("api.test");
        var changed = ClusterManifests.Render(ModelFixtures.Resources(seed), production: false, _ => ModelFixtures.Ca.Value).Objects;
        var third = new List<string>();
        foreach (var obj in changed)
        {
            third.Add(await ApplyAsync(client, obj));
        }

        var moved = changed.Where((o, i) => third[i] != first[i]).Select(o => o.Kind).ToList();
        Assert.Contains("Certificate", moved);
        Assert.DoesNotContain("Deployment", moved);
        Assert.DoesNotContain("Secret", moved);
    }
}
