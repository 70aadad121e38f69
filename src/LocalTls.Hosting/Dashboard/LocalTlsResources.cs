using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace LocalTls;

/// <summary>How every LocalTls resource enters the model: out of the Aspire manifest, with an icon and an initial dashboard state.</summary>
internal static class LocalTlsResources
{
    public static IResourceBuilder<T> Add<T>(IDistributedApplicationBuilder builder, T resource, string resourceType, string iconName, ResourcePropertySnapshot[] properties, ResourceStateSnapshot? state = null)
        where T : IResource =>
        builder.AddResource(resource)
            .ExcludeFromManifest()
            .WithIconName(iconName)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = resourceType, State = state ?? KnownResourceStates.NotStarted, Properties = [.. properties.Select(p => SnapshotProperties.Property(p.Name, p.Value))] });
}
