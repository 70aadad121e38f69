using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace LocalTls.KubeApiDouble;

/// <summary>A change as a watch reports it.</summary>
/// <remarks>
/// One event goes to many watches on many threads; they write <see cref="ObjectJson"/>, made once, because reading a
/// <see cref="JsonObject"/> from several threads at once is not safe (it materializes lazily).
/// </remarks>
public sealed record WatchEvent(long ResourceVersion, string Type, ResourceType Resource, string? Namespace, JsonObject Object)
{
    public string ObjectJson { get; } = Object.ToJsonString(HttpApi.WireJson);
}

/// <summary>
/// The double's etcd: objects by group/resource/namespace/name, one global resourceVersion counter that moves on every
/// write, and a bounded history of changes that watches replay from.
/// </summary>
/// <remarks>Every read-modify-write runs under <see cref="Gate"/>; the double serves tests, not load.</remarks>
public sealed class ObjectStore
{
    private readonly SortedDictionary<string, JsonObject> objects = new(StringComparer.Ordinal);
    private readonly LinkedList<WatchEvent> history = new();
    private readonly List<Watcher> watchers = [];
    private long resourceVersion = 1;
    private long lastDropped;

    public ObjectStore(int historyLimit = 1000) => HistoryLimit = historyLimit;

    public object Gate { get; } = new();

    /// <summary>How many changes watches can replay; older resourceVersions get 410 Expired.</summary>
    public int HistoryLimit { get; }

    public long ResourceVersion
    {
        get
        {
            lock (Gate)
            {
                return resourceVersion;
            }
        }
    }

    private static string Key(ResourceType type, string? ns, string name) => $"{type.Group}/{type.Plural}/{ns}/{name}";

    private static string Prefix(ResourceType type, string? ns) => ns is null ? $"{type.Group}/{type.Plural}/" : $"{type.Group}/{type.Plural}/{ns}/";

    public JsonObject? Get(ResourceType type, string? ns, string name)
    {
        lock (Gate)
        {
            return objects.TryGetValue(Key(type, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    /// <summary>Every object of a type (in a namespace, or all), in key order as etcd lists them.</summary>
    public List<JsonObject> List(ResourceType type, string? ns)
    {
        lock (Gate)
        {
            var prefix = Prefix(type, ns);
            return objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(o => (JsonObject)o.Value.DeepClone()).ToList();
        }
    }

    /// <summary>Stores a new or changed object under a new resourceVersion, and tells the watches. Call under <see cref="Gate"/>.</summary>
    public JsonObject Put(ResourceType type, string? ns, string name, JsonObject obj)
    {
        var key = Key(type, ns, name);
        var existed = objects.ContainsKey(key);
        var rv = ++resourceVersion;
        obj["metadata"]!["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        objects[key] = (JsonObject)obj.DeepClone();
        Publish(new WatchEvent(rv, existed ? "MODIFIED" : "ADDED", type, ns, (JsonObject)obj.DeepClone()));
        return obj;
    }

    /// <summary>Removes an object; the DELETED event carries it at the deletion's resourceVersion. Call under <see cref="Gate"/>.</summary>
    public JsonObject? Remove(ResourceType type, string? ns, string name)
    {
        if (!objects.Remove(Key(type, ns, name), out var obj))
        {
            return null;
        }

        var rv = ++resourceVersion;
        obj["metadata"]!["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        Publish(new WatchEvent(rv, "DELETED", type, ns, (JsonObject)obj.DeepClone()));
        return obj;
    }

    private void Publish(WatchEvent change)
    {
        history.AddLast(change);
        while (history.Count > HistoryLimit)
        {
            lastDropped = history.First!.Value.ResourceVersion;
            history.RemoveFirst();
        }

        foreach (var watcher in watchers.ToList())
        {
            if (watcher.Matches(change) && !watcher.Channel.Writer.TryWrite(change))
            {
                watchers.Remove(watcher);
            }
        }
    }

    /// <summary>
    /// Starts a watch. With a resourceVersion, the changes after it are replayed first (410 Expired when they are no
    /// longer in the history); without one (or "0"), every current object comes first as ADDED.
    /// </summary>
    public Watcher Watch(ResourceType type, string? ns, long? fromResourceVersion, Func<JsonObject, bool> filter)
    {
        lock (Gate)
        {
            if (fromResourceVersion is { } from && from > 0 && from < lastDropped)
            {
                throw ApiError.Expired(from, lastDropped);
            }

            var watcher = new Watcher(type, ns, filter);
            if (fromResourceVersion is null or 0)
            {
                foreach (var obj in List(type, ns))
                {
                    var rv = long.Parse((string)obj["metadata"]!["resourceVersion"]!, CultureInfo.InvariantCulture);
                    watcher.Channel.Writer.TryWrite(new WatchEvent(rv, "ADDED", type, ns, obj));
                }
            }
            else
            {
                foreach (var change in history.Where(c => c.ResourceVersion > fromResourceVersion && watcher.Matches(c)))
                {
                    watcher.Channel.Writer.TryWrite(change);
                }
            }

            watchers.Add(watcher);
            return watcher;
        }
    }

    public void StopWatch(Watcher watcher)
    {
        lock (Gate)
        {
            watchers.Remove(watcher);
        }

        watcher.Channel.Writer.TryComplete();
    }

    /// <summary>Ends every open watch, as an API server restart or a load balancer timeout would.</summary>
    public int DropWatches()
    {
        lock (Gate)
        {
            var count = watchers.Count;
            foreach (var watcher in watchers)
            {
                watcher.Channel.Writer.TryComplete();
            }

            watchers.Clear();
            return count;
        }
    }

    /// <summary>Forgets the change history, as etcd compaction does: watches from any older resourceVersion get 410.</summary>
    public void Compact()
    {
        lock (Gate)
        {
            history.Clear();
            lastDropped = resourceVersion;
        }
    }

    /// <summary>One open watch: a type (and namespace), a filter (selectors), and the channel its events go to.</summary>
    public sealed class Watcher(ResourceType type, string? ns, Func<JsonObject, bool> filter)
    {
        public Channel<WatchEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<WatchEvent>();

        public bool Matches(WatchEvent change) =>
            change.Resource.Group == type.Group && change.Resource.Plural == type.Plural
            && (ns is null || change.Namespace == ns) && filter(change.Object);
    }
}
