using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// Admission webhooks a test registers (cert-manager's, for example): mutating ones change the object before it is
/// validated, validating ones may deny it after. Both run on dry runs too, as webhooks without side effects do.
/// </summary>
public sealed class Admission
{
    private readonly List<Hook> hooks = [];

    /// <summary>A mutating webhook: <paramref name="mutate"/> gets the object (and the old one on an update) and may change it.</summary>
    public void AddMutatingWebhook(string name, Func<ResourceType, bool> matches, Action<JsonObject, JsonObject?> mutate)
    {
        lock (hooks)
        {
            hooks.Add(new Hook(name, matches, mutate, null));
        }
    }

    /// <summary>A validating webhook: <paramref name="deny"/> returns why it refuses the object, or null to allow it.</summary>
    public void AddValidatingWebhook(string name, Func<ResourceType, bool> matches, Func<JsonObject, JsonObject?, string?> deny)
    {
        lock (hooks)
        {
            hooks.Add(new Hook(name, matches, null, deny));
        }
    }

    /// <summary>Removes the webhooks of that name, as deleting a webhook configuration does.</summary>
    public void Remove(string name)
    {
        lock (hooks)
        {
            hooks.RemoveAll(h => h.Name == name);
        }
    }

    public void Clear()
    {
        lock (hooks)
        {
            hooks.Clear();
        }
    }

    internal void Mutate(ResourceType type, JsonObject candidate, JsonObject? old)
    {
        foreach (var hook in Snapshot().Where(h => h.Mutate is not null && h.Matches(type)))
        {
            hook.Mutate!(candidate, old);
        }
    }

    /// <summary>A denial answers 403 with <c>admission webhook "name" denied the request: why</c>, as the API server words it.</summary>
    internal void Validate(ResourceType type, JsonObject candidate, JsonObject? old)
    {
        foreach (var hook in Snapshot().Where(h => h.Deny is not null && h.Matches(type)))
        {
            if (hook.Deny!(candidate, old) is { } reason)
            {
                throw new ApiError(403, "Forbidden", $"admission webhook \"{hook.Name}\" denied the request: {reason}");
            }
        }
    }

    private List<Hook> Snapshot()
    {
        lock (hooks)
        {
            return [.. hooks];
        }
    }

    private sealed record Hook(string Name, Func<ResourceType, bool> Matches, Action<JsonObject, JsonObject?>? Mutate, Func<JsonObject, JsonObject?, string?>? Deny);
}
