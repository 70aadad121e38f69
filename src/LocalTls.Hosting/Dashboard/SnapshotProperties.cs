using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;

namespace LocalTls;

internal static class SnapshotProperties
{
    /// <summary>The properties with <paramref name="name"/> set to <paramref name="value"/>, added or replaced.</summary>
    public static ImmutableArray<ResourcePropertySnapshot> With(this ImmutableArray<ResourcePropertySnapshot> properties, string name, object? value)
    {
        var index = properties.IndexOf(properties.FirstOrDefault(p => p.Name == name)!);
        var property = new ResourcePropertySnapshot(name, value);
        return index >= 0 ? properties.SetItem(index, property) : properties.Add(property);
    }
}
