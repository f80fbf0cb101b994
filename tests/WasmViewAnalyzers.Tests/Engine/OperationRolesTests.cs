using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using WasmViewAnalyzers.Engine.Flow;

namespace WasmViewAnalyzers.Tests.Engine;

/// <summary>
/// The evaluator's coverage of C#: every <see cref="OperationKind"/> of the Roslyn the analyzers
/// compile against, and of the newer Roslyn the tests host them in, has a role in
/// <see cref="OperationRoles"/>, the table the evaluator dispatches on.
/// </summary>
public sealed class OperationRolesTests
{
    [Fact]
    public void EveryKindOfTheAnalyzersRoslyn_IsClassified()
    {
        var unclassified = KindsOfAnalyzerRoslyn()
            .Where(kind => OperationRoles.Of((OperationKind)kind.Value) is null)
            .Select(kind => kind.Name)
            .ToList();

        Assert.Empty(unclassified);
    }

    [Fact]
    public void EveryKindOfTheHostRoslyn_IsClassified()
    {
        var unclassified = Enum.GetValues<OperationKind>()
            .Where(kind => OperationRoles.Of(kind) is null)
            .Select(kind => kind.ToString())
            .ToList();

        Assert.Empty(unclassified);
    }

    [Fact]
    public void KindsNewerThanTheAnalyzersRoslyn_AreNamedByTheirValueInTheHost()
    {
        Assert.Equal(nameof(OperationKind.CollectionExpression), OperationRoles.CollectionExpression.ToString());
        Assert.Equal(nameof(OperationKind.Spread), OperationRoles.Spread.ToString());
        var known = KindsOfAnalyzerRoslyn().Select(kind => kind.Value).ToHashSet();
        Assert.DoesNotContain((int)OperationRoles.CollectionExpression, known);
        Assert.DoesNotContain((int)OperationRoles.Spread, known);
    }

    [Fact]
    public void TheTableClassifiesNoValueOutsideTheEnum()
    {
        var defined = Enum.GetValues<OperationKind>().ToHashSet();
        Assert.All(OperationRoles.Classified, kind => Assert.Contains(kind, defined));
    }

    /// <summary>The constants of <c>OperationKind</c> as the analyzers' reference assembly defines them.</summary>
    private static List<(string Name, int Value)> KindsOfAnalyzerRoslyn()
    {
        var path = typeof(OperationRolesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "AnalyzerRoslyn").Value!;
        Assert.True(File.Exists(path), "The analyzers' Roslyn reference is missing: " + path);
        Assert.Equal(
            AssemblyName.GetAssemblyName(path).Version,
            typeof(WasmViewAnalyzers.Rules.StaleViewAfterGuestCallAnalyzer).Assembly.GetReferencedAssemblies().Single(name => name.Name == "Microsoft.CodeAnalysis").Version);

        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var kinds = new List<(string, int)>();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(handle);
            if (metadata.GetString(type.Name) != nameof(OperationKind) || metadata.GetString(type.Namespace) != "Microsoft.CodeAnalysis")
            {
                continue;
            }

            foreach (var fieldHandle in type.GetFields())
            {
                var field = metadata.GetFieldDefinition(fieldHandle);
                var constant = field.GetDefaultValue();
                if (!constant.IsNil)
                {
                    kinds.Add((metadata.GetString(field.Name), metadata.GetBlobReader(metadata.GetConstant(constant).Value).ReadInt32()));
                }
            }
        }

        Assert.NotEmpty(kinds);
        return kinds;
    }
}
