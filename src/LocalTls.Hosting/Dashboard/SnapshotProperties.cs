using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;

namespace LocalTls;

internal static class SnapshotProperties
{
    /// <summary>
    /// The properties with <paramref name="name"/> set to <paramref name="value"/>, added or replaced; a
    /// <see langword="null"/> value removes it, so nothing stale or empty (an image while a binary runs) is shown.
    /// </summary>
    public static ImmutableArray<ResourcePropertySnapshot> With(this ImmutableArray<ResourcePropertySnapshot> properties, string name, object? value)
    {
        var index = properties.IndexOf(properties.FirstOrDefault(p => p.Name == name)!);
        if (value is null)
        {
            return index >= 0 ? properties.RemoveAt(index) : properties;
        }

        var property = Property(name, value);
        return index >= 0 ? properties.SetItem(index, property) : properties.Add(property);
    }

    /// <summary>A property, labelled and highlighted for the default details view when it is one of <see cref="LocalTlsProperties.Shown"/>.</summary>
    public static ResourcePropertySnapshot Property(string name, object? value) =>
        LocalTlsProperties.Shown.TryGetValue(name, out var shown)
            ? new ResourcePropertySnapshot(name, value) { DisplayName = shown.DisplayName, IsHighlighted = true, SortOrder = shown.SortOrder }
            : new ResourcePropertySnapshot(name, value);
}
