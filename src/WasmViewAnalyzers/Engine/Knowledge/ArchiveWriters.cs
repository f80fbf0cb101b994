using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Knowledge;

/// <summary>
/// What the engine knows about archive and compression writers, looked up once per compilation
/// by metadata name (a library the compilation does not reference costs nothing):
/// <list type="bullet">
/// <item><b>Deferred consumers</b> (WVA003) keep the stream or source they are given and read it
/// later: DotNetZip's <c>ZipFile.AddEntry</c>/<c>UpdateEntry</c> and <c>ZipEntry.InputStream</c>
/// (read at <c>Save</c>), SharpZipLib's <c>ZipFile.Add(IStaticDataSource, ...)</c> (read at
/// <c>CommitUpdate</c>), <c>System.Formats.Tar</c>'s <c>TarEntry.DataStream</c> (read at
/// <c>TarWriter.WriteEntry</c>), and the methods named in <c>wasm_view_analyzers.deferred_sinks</c>.</item>
/// <item><b>Compressing streams</b> (WVA004) read what is written into them while they compress:
/// the BCL's <c>DeflateStream</c>, <c>GZipStream</c>, <c>BrotliStream</c>, <c>ZLibStream</c> and the
/// stream of <c>ZipArchiveEntry.Open()</c>; SharpZipLib's <c>DeflaterOutputStream</c> family,
/// <c>BZip2OutputStream</c> and <c>TarOutputStream</c>; DotNetZip's <c>ZipOutputStream</c> and its
/// zlib and BZip2 streams.</item>
/// </list>
/// DotNetZip's <c>AddEntry(string, byte[])</c> wraps the array without copying it and reads it at
/// <c>Save</c> too, but an array is the host's own memory, never a view: it needs no entry here.
/// </summary>
internal sealed class ArchiveWriters
{
    private const string AtZipSave = "when the archive is saved (ZipFile.Save)";
    private const string AtCommitUpdate = "when the update is committed (ZipFile.CommitUpdate)";
    private const string AtWriteEntry = "when the entry is written (TarWriter.WriteEntry)";
    private const string AtConfiguredSink = "later (it is a deferred sink in wasm_view_analyzers.deferred_sinks)";

    private static readonly string[] CompressingStreamNames =
    {
        "System.IO.Compression.DeflateStream",
        "System.IO.Compression.GZipStream",
        "System.IO.Compression.BrotliStream",
        "System.IO.Compression.ZLibStream",
        "ICSharpCode.SharpZipLib.Zip.Compression.Streams.DeflaterOutputStream",
        "ICSharpCode.SharpZipLib.BZip2.BZip2OutputStream",
        "ICSharpCode.SharpZipLib.Tar.TarOutputStream",
        "Ionic.Zip.ZipOutputStream",
        "Ionic.Zlib.DeflateStream",
        "Ionic.Zlib.GZipStream",
        "Ionic.Zlib.ZlibStream",
        "Ionic.Zlib.ParallelDeflateOutputStream",
        "Ionic.BZip2.BZip2OutputStream",
        "Ionic.BZip2.ParallelBZip2OutputStream",
    };

    private readonly WasmViewSemantics _semantics;
    private readonly ImmutableArray<INamedTypeSymbol> _compressingStreams;
    private readonly INamedTypeSymbol? _zipArchiveEntry;
    private readonly INamedTypeSymbol? _dotNetZipFile;
    private readonly INamedTypeSymbol? _dotNetZipEntry;
    private readonly INamedTypeSymbol? _sharpZipFile;
    private readonly INamedTypeSymbol? _staticDataSource;
    private readonly INamedTypeSymbol? _tarEntry;

    public ArchiveWriters(WasmViewSemantics semantics)
    {
        _semantics = semantics;
        var compilation = semantics.Compilation;
        var streams = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        foreach (var name in CompressingStreamNames)
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                streams.Add(type);
            }
        }

        _compressingStreams = streams.ToImmutable();
        _zipArchiveEntry = compilation.GetTypeByMetadataName("System.IO.Compression.ZipArchiveEntry");
        _dotNetZipFile = compilation.GetTypeByMetadataName("Ionic.Zip.ZipFile");
        _dotNetZipEntry = compilation.GetTypeByMetadataName("Ionic.Zip.ZipEntry");
        _sharpZipFile = compilation.GetTypeByMetadataName("ICSharpCode.SharpZipLib.Zip.ZipFile");
        _staticDataSource = compilation.GetTypeByMetadataName("ICSharpCode.SharpZipLib.Zip.IStaticDataSource");
        _tarEntry = compilation.GetTypeByMetadataName("System.Formats.Tar.TarEntry");
    }

    /// <summary>SharpZipLib's <c>IStaticDataSource</c>, when referenced.</summary>
    public INamedTypeSymbol? StaticDataSource => _staticDataSource;

    /// <summary>When calling <paramref name="method"/> hands its arguments to a writer that reads them later: who, and when it reads.</summary>
    public DeferredConsumer? GetDeferredConsumer(IMethodSymbol method)
    {
        var type = method.ContainingType?.OriginalDefinition;
        if (_dotNetZipFile is not null && SymbolEqualityComparer.Default.Equals(type, _dotNetZipFile) && method.Name is "AddEntry" or "UpdateEntry")
        {
            return new DeferredConsumer("ZipFile." + method.Name, AtZipSave);
        }

        if (_sharpZipFile is not null && SymbolEqualityComparer.Default.Equals(type, _sharpZipFile) && method.Name == "Add")
        {
            return new DeferredConsumer("ZipFile.Add", AtCommitUpdate);
        }

        return _semantics.Configured.IsDeferredSink(method) ? new DeferredConsumer(Describe(method), AtConfiguredSink) : null;
    }

    /// <summary>When assigning <paramref name="property"/> hands the value to a writer that reads it later.</summary>
    public DeferredConsumer? GetDeferredConsumer(IPropertySymbol property)
    {
        if (property.Name == "DataStream" && _semantics.Symbols.DerivesFrom(property.ContainingType, _tarEntry))
        {
            return new DeferredConsumer("TarEntry.DataStream", AtWriteEntry);
        }

        if (property.Name == "InputStream" && _semantics.Symbols.DerivesFrom(property.ContainingType, _dotNetZipEntry))
        {
            return new DeferredConsumer("ZipEntry.InputStream", AtZipSave);
        }

        return _semantics.Configured.IsDeferredSink(property) || _semantics.Configured.IsDeferredSink(property.SetMethod)
            ? new DeferredConsumer(Describe(property), AtConfiguredSink)
            : null;
    }

    /// <summary><c>Write</c>/<c>WriteAsync</c> of a buffer on a stream: the stream reads the buffer.</summary>
    public bool IsStreamWrite(IMethodSymbol method)
        => method.Name is "Write" or "WriteAsync" && !method.IsStatic && IsStreamMember(method);

    /// <summary><c>CopyTo</c>/<c>CopyToAsync</c> of a stream: reads the source stream into the destination.</summary>
    public bool IsStreamCopy(IMethodSymbol method)
        => method.Name is "CopyTo" or "CopyToAsync" && !method.IsStatic && IsStreamMember(method);

    /// <summary>
    /// What kind of compressing stream <paramref name="type"/> is, when its static type says so
    /// (<c>GZipStream</c>, SharpZipLib's <c>ZipOutputStream</c>, ...).
    /// </summary>
    public string? DescribeCompressingType(ITypeSymbol? type)
    {
        foreach (var candidate in _compressingStreams)
        {
            if (_semantics.Symbols.DerivesFrom(type, candidate))
            {
                return type!.Name;
            }
        }

        return null;
    }

    /// <summary>
    /// What kind of compressing stream the value of <paramref name="operation"/> is, when its
    /// expression says so: <c>entry.Open()</c> on a <c>ZipArchiveEntry</c> (typed as plain
    /// <c>Stream</c>), or a value whose static type is a compressing stream.
    /// </summary>
    public string? DescribeCompressingExpression(IOperation operation)
    {
        if (DescribeCompressingType(operation.Type) is { } typed)
        {
            return typed;
        }

        var value = operation.WalkDownConversions();
        if (!ReferenceEquals(value, operation) && DescribeCompressingType(value.Type) is { } converted)
        {
            return converted;
        }

        return value is IInvocationOperation { TargetMethod.Name: "Open" } invocation
               && _zipArchiveEntry is not null
               && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType?.OriginalDefinition, _zipArchiveEntry)
            ? "ZipArchiveEntry.Open()"
            : null;
    }

    /// <summary>
    /// The <c>GetSource()</c> of a SharpZipLib data source declared in the compilation, which the
    /// archive calls at <c>CommitUpdate</c> to get the bytes of the entry.
    /// </summary>
    public IMethodSymbol? FindGetSource(ITypeSymbol? sourceType)
    {
        if (_staticDataSource is null || sourceType is null || sourceType.TypeKind == TypeKind.Interface)
        {
            return null;
        }

        foreach (var member in _staticDataSource.GetMembers("GetSource"))
        {
            if (member is IMethodSymbol getSource && sourceType.FindImplementationForInterfaceMember(getSource) is IMethodSymbol implementation)
            {
                return implementation;
            }
        }

        return null;
    }

    /// <summary>
    /// <c>zip.Add(new GuestSource(...), name)</c> where the data source's <c>GetSource()</c> builds
    /// a stream over guest memory itself: the method hands guest memory over without holding a view.
    /// </summary>
    public bool HandsOverDataSourceReadingGuestMemory(IOperation operation, CancellationToken cancellationToken)
    {
        if (_sharpZipFile is null || operation is not IInvocationOperation invocation || GetDeferredConsumer(invocation.TargetMethod) is null)
        {
            return false;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (FindGetSource(argument.Value.WalkDownConversions().Type) is { } getSource
                && _semantics.ViewSources.ReturnsView(getSource, solver: null, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A member of <c>Stream</c> or of a type derived from it (which includes every override of a <c>Stream</c> member).</summary>
    private bool IsStreamMember(IMethodSymbol method)
        => _semantics.Symbols.DerivesFrom(method.ContainingType, _semantics.Symbols.Stream);

    private static string Describe(ISymbol member)
        => member.ContainingType is { } type ? type.Name + "." + member.Name : member.Name;

    /// <summary>
    /// Whether any of <paramref name="values"/> is a compressing stream, looking through locals
    /// assigned elsewhere in the body and through the fields and properties of the compilation
    /// (<c>_output = new GZipStream(...)</c> in a constructor, written in another method).
    /// </summary>
    public string? DescribeCompressingValue(IOperation operation, System.Func<ILocalSymbol, IEnumerable<IOperation>> assignedValues, System.Func<CaptureId, IEnumerable<IOperation>> captures, CancellationToken cancellationToken)
    {
        var visited = new HashSet<object>();
        var pending = new Stack<IOperation>();
        pending.Push(operation);
        while (pending.Count > 0 && visited.Count < 64)
        {
            var current = pending.Pop();
            if (DescribeCompressingExpression(current) is { } description)
            {
                return description;
            }

            switch (current.WalkDownConversions())
            {
                case ILocalReferenceOperation local when visited.Add(local.Local):
                    foreach (var value in assignedValues(local.Local))
                    {
                        pending.Push(value);
                    }

                    break;

                case IFieldReferenceOperation field when visited.Add(field.Field.OriginalDefinition):
                    foreach (var value in _semantics.GuestDelegates.Index.StoredValuesOf(field.Field, cancellationToken))
                    {
                        pending.Push(value);
                    }

                    break;

                case IPropertyReferenceOperation { Property.IsIndexer: false } property
                    when _semantics.IsDeclaredInSource(property.Property) && visited.Add(property.Property.OriginalDefinition):
                    foreach (var value in _semantics.GuestDelegates.Index.StoredValuesOf(property.Property, cancellationToken))
                    {
                        pending.Push(value);
                    }

                    break;

                case IFlowCaptureReferenceOperation capture when visited.Add(capture.Id):
                    foreach (var value in captures(capture.Id))
                    {
                        pending.Push(value);
                    }

                    break;

                case IConditionalOperation conditional:
                    pending.Push(conditional.WhenTrue);
                    if (conditional.WhenFalse is { } whenFalse)
                    {
                        pending.Push(whenFalse);
                    }

                    break;

                case ICoalesceOperation coalesce:
                    pending.Push(coalesce.Value);
                    pending.Push(coalesce.WhenNull);
                    break;

                case ISwitchExpressionOperation switchExpression:
                    foreach (var arm in switchExpression.Arms)
                    {
                        pending.Push(arm.Value);
                    }

                    break;

                case ICoalesceAssignmentOperation coalesceAssignment:
                    pending.Push(coalesceAssignment.Target);
                    pending.Push(coalesceAssignment.Value);
                    break;

                case ISimpleAssignmentOperation assignment:
                    pending.Push(assignment.Value);
                    break;
            }
        }

        return null;
    }
}

/// <summary>A writer that keeps what it is handed and reads it later (WVA003).</summary>
internal sealed class DeferredConsumer
{
    public DeferredConsumer(string name, string readsWhen)
    {
        Name = name;
        ReadsWhen = readsWhen;
    }

    /// <summary>As the user would name it: <c>ZipFile.AddEntry</c>.</summary>
    public string Name { get; }

    /// <summary>When it reads: <c>when the archive is saved (ZipFile.Save)</c>.</summary>
    public string ReadsWhen { get; }
}
