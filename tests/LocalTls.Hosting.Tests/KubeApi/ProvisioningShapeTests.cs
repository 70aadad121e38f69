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
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The cluster target's own apply, so this shows what provisioning sends.
    private static async Task<string> ApplyAsync(IKubernetes client, IKubernetesObject obj) =>
        (await ClusterTarget.ApplyAsync(client, obj, Ct))!;

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

        seed.Certificate.DnsNameList.Add("api.test");
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
