using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace LocalTls.Tests.KubeApi;

/// <summary>Watches as KubernetesClient 19 opens them: replay from a resourceVersion, bookmarks, drops, 410 Gone.</summary>
public class WatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static V1ConfigMap Map(string name, string value) =>
        new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["k"] = value } };

    /// <summary>Reads watch events until <paramref name="until"/> says stop, or the stream ends, or 10 seconds pass.</summary>
    private static async Task<List<(WatchEventType Type, V1ConfigMap Object)>> CollectAsync(
        IKubernetes client, string? resourceVersion, Func<List<(WatchEventType, V1ConfigMap)>, bool> until, bool bookmarks = false, int? timeoutSeconds = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var events = new List<(WatchEventType, V1ConfigMap)>();
        var watch = client.CoreV1.WatchListNamespacedConfigMapAsync(
            "default", allowWatchBookmarks: bookmarks, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, cancellationToken: timeout.Token);
        await foreach (var (type, item) in watch)
        {
            events.Add((type, item));
            if (until(events))
            {
                break;
            }
        }

        return events;
    }

    [Fact]
    public async Task A_watch_from_a_resource_version_replays_every_change_after_it_then_follows()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var first = await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "1"), "default", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("b", "1"), "default", cancellationToken: Ct);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"2"}}""", V1Patch.PatchType.MergePatch), "a", "default", cancellationToken: Ct);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("b", "default", cancellationToken: Ct);

        var watching = CollectAsync(client, first.Metadata.ResourceVersion, e => e.Count == 4);
        await Task.Delay(200, Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("c", "1"), "default", cancellationToken: Ct);
        var events = await watching;

        Assert.Equal(
            ["Added b", "Modified a", "Deleted b", "Added c"],
            events.Select(e => $"{e.Type} {e.Object.Metadata.Name}"));
        Assert.Equal("2", events[1].Object.Data["k"]);
        var versions = events.Select(e => long.Parse(e.Object.Metadata.ResourceVersion)).ToList();
        Assert.Equal(versions.Order(), versions);
    }

    [Fact]
    public async Task The_list_call_with_watch_true_and_WatchAsync_works_too()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var response = client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(
            "default", watch: true, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: timeout.Token);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "1"), "default", cancellationToken: Ct);
#pragma warning disable CS0618 // the form Aspire's and LocalTls's older code paths use; it must keep working against the double
        await foreach (var (type, item) in response.WatchAsync<V1ConfigMap, V1ConfigMapList>(cancellationToken: timeout.Token))
#pragma warning restore CS0618
        {
            Assert.Equal((WatchEventType.Added, "a"), (type, item.Metadata.Name));
            return;
        }

        Assert.Fail("the watch ended without an event");
    }

    [Fact]
    public async Task A_watch_without_a_resource_version_starts_with_every_object_as_added()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "1"), "default", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("b", "1"), "default", cancellationToken: Ct);
        var events = await CollectAsync(client, null, e => e.Count == 2);
        Assert.Equal(["Added a", "Added b"], events.Select(e => $"{e.Type} {e.Object.Metadata.Name}"));
    }

    [Fact]
    public async Task A_watch_from_before_a_compaction_gets_an_ERROR_event_with_410_Expired()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var old = await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "1"), "default", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("b", "1"), "default", cancellationToken: Ct);
        server.CompactHistory();

        using var http = server.CreateHttpClient();
        var text = await http.GetStringAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={old.Metadata.ResourceVersion}", Ct);
        var line = JsonNode.Parse(text.Trim())!;
        Assert.Equal("ERROR", (string?)line["type"]);
        Assert.Equal((410, "Expired"), ((int)line["object"]!["code"]!, (string)line["object"]!["reason"]!));
        Assert.StartsWith("too old resource version: " + old.Metadata.ResourceVersion, (string?)line["object"]!["message"], StringComparison.Ordinal);

        // KubernetesClient surfaces it as an Error event; a watch from the current version still works.
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
        var fresh = CollectAsync(client, list.Metadata.ResourceVersion, e => e.Count == 1);
        await Task.Delay(200, Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("c", "1"), "default", cancellationToken: Ct);
        Assert.Equal("Added c", (await fresh).Select(e => $"{e.Type} {e.Object.Metadata.Name}").Single());
    }

    [Fact]
    public async Task Bookmarks_come_when_asked_for_and_carry_the_current_resource_version()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "1"), "default", cancellationToken: Ct);
        var events = await CollectAsync(client, created.Metadata.ResourceVersion, e => e.Count == 1, bookmarks: true);
        var bookmark = Assert.Single(events);
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.Equal(created.Metadata.ResourceVersion, bookmark.Object.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Dropping_watches_ends_the_stream_and_the_client_resumes_from_its_last_version()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var start = await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
        var watching = CollectAsync(client, start.Metadata.ResourceVersion, _ => false);
        await Task.Delay(200, Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "1"), "default", cancellationToken: Ct);
        await Task.Delay(200, Ct);
        Assert.Equal(1, server.DropWatches());
        var seen = await watching;
        Assert.Equal("Added a", Assert.Single(seen).Type + " " + seen[0].Object.Metadata.Name);

        await client.CoreV1.CreateNamespacedConfigMapAsync(Map("b", "1"), "default", cancellationToken: Ct);
        var resumed = await CollectAsync(client, seen[^1].Object.Metadata.ResourceVersion, e => e.Count == 1);
        Assert.Equal("Added b", resumed.Select(e => $"{e.Type} {e.Object.Metadata.Name}").Single());
    }

    [Fact]
    public async Task The_legacy_watch_path_streams_the_same_events_as_JSON_lines()
    {
        await using var server = await DoubleClient.StartAsync();
        var from = server.Store.ResourceVersion;
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("a"));
        await server.SendAsync("DELETE", "/api/v1/namespaces/default/configmaps/a");
        using var http = server.CreateHttpClient();
        var body = await http.GetStringAsync($"/api/v1/watch/namespaces/default/configmaps?resourceVersion={from}&timeoutSeconds=1", Ct);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["ADDED a", "DELETED a"], lines.Select(l => $"{(string?)l["type"]} {(string?)l["object"]!["metadata"]!["name"]}"));
    }

    [Fact]
    public async Task A_watch_ends_after_timeoutSeconds()
    {
        await using var server = await DoubleClient.StartAsync();
        using var http = server.CreateHttpClient();
        var started = DateTime.UtcNow;

        // Raw HTTP: with no event at all the body is empty, which KubernetesClient 19 reports as an EndOfStreamException
        // (as it would against a real server).
        var body = await http.GetStringAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={server.Store.ResourceVersion}&timeoutSeconds=1", Ct);

        Assert.Equal("", body);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
    }
}
